// Small SVG charts for the dashboard: lines over time, stacked bars over time, horizontal
// bars. Built with DOM calls; labels are text nodes.
const NS = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 210;
const PAD = { left: 44, right: 44, top: 12, bottom: 26 };

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(height = H) {
  return el('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img' });
}

/** The smallest axis maximum at or above `v` whose quarters are whole numbers (4, 8, 12, 20, 40...). */
function niceMax(v) {
  for (let p = 1; ; p *= 10) {
    for (const m of [4, 8, 12, 20, 40, 60, 80]) if (m * p >= v) return m * p;
  }
}

const count = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const pct = (v) => `${Math.round(v * 100)}%`;

function legend(items) {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const [name, cls] of items) {
    const s = document.createElement('span');
    s.className = cls;
    s.textContent = name;
    div.append(s);
  }
  return div;
}

/** The frame: horizontal grid lines with the left axis labels, and x labels. */
function frame(s, labels, max, fmt, rightMax, rightFmt) {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + ih - (ih * i) / 4;
    s.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'axis' }));
    s.append(el('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, fmt((max * i) / 4)));
    if (rightMax !== undefined) s.append(el('text', { x: W - PAD.right + 6, y: y + 4 }, rightFmt((rightMax * i) / 4)));
  }
  const step = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((l, i) => {
    if (i % step !== 0 && i !== labels.length - 1) return;
    const x = PAD.left + (iw * (i + 0.5)) / labels.length;
    s.append(el('text', { x, y: H - 8, 'text-anchor': 'middle', class: 'xlabel' }, l));
  });
  return { iw, ih };
}

/** A line (0..1 share by default) with the area under it. */
export function lineChart(target, { labels, values, name, fmt = pct, max = 1 }) {
  const s = svg();
  const { iw, ih } = frame(s, labels, max, fmt);
  const pts = values.map((v, i) => [PAD.left + (iw * (i + 0.5)) / values.length, PAD.top + ih - (ih * Math.min(v, max)) / max]);
  if (pts.length) {
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
    const base = PAD.top + ih;
    s.append(el('path', { d: `${d}L${pts[pts.length - 1][0].toFixed(1)},${base}L${pts[0][0].toFixed(1)},${base}Z`, class: 'area1' }));
    s.append(el('path', { d, class: 'line1' }));
    const [lx, ly] = pts[pts.length - 1];
    s.append(el('circle', { cx: lx, cy: ly, r: 3.5, class: 'c1' }));
  }
  s.setAttribute('aria-label', `${name}: ${values.length ? fmt(values[values.length - 1]) : 'no data'} now`);
  target.replaceChildren(s, legend([[name, 'c1']]));
}

/** Stacked bars per bucket; optionally a dashed line on a 0..1 right axis. */
export function stackedBars(target, { labels, stacks, line }) {
  const s = svg();
  const totals = labels.map((_, i) => stacks.reduce((a, st) => a + st.values[i], 0));
  const max = niceMax(Math.max(0, ...totals));
  const { iw, ih } = frame(s, labels, max, count, line ? 1 : undefined, pct);
  const bw = Math.max(2, (iw / labels.length) * 0.7);
  labels.forEach((_, i) => {
    let y = PAD.top + ih;
    const x = PAD.left + (iw * (i + 0.5)) / labels.length - bw / 2;
    for (const st of stacks) {
      const h = (ih * st.values[i]) / max;
      if (h <= 0) continue;
      y -= h;
      const r = el('rect', { x: x.toFixed(1), y: y.toFixed(1), width: bw.toFixed(1), height: h.toFixed(1), class: st.cls, rx: 1.5 });
      r.append(el('title', {}, `${labels[i]}: ${st.name} ${st.values[i]}`));
      s.append(r);
    }
  });
  if (line) {
    const pts = line.values
      .map((v, i) => (v === null ? null : [PAD.left + (iw * (i + 0.5)) / labels.length, PAD.top + ih - ih * v]))
      .filter(Boolean);
    if (pts.length > 1) s.append(el('path', { d: pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(''), class: 'line2' }));
    for (const [x, y] of pts) s.append(el('circle', { cx: x, cy: y, r: 2.5, class: 'c3' }));
  }
  s.setAttribute('aria-label', stacks.map((st) => `${st.name} ${st.values.reduce((a, b) => a + b, 0)}`).join(', '));
  const items = stacks.map((st) => [st.name, st.cls]);
  if (line) items.push([line.name, 'c3']);
  target.replaceChildren(s, legend(items));
}

/** Horizontal bars, largest first: `[{label, value, note}]`. */
export function hbars(target, items, { cls = 'c1', empty = 'Nothing in this window.' } = {}) {
  if (items.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted small';
    p.textContent = empty;
    target.replaceChildren(p);
    return;
  }
  const rowH = 26;
  const height = items.length * rowH + 8;
  const s = svg(height);
  const max = Math.max(...items.map((i) => i.value));
  const labelW = 190;
  const noteW = 120;
  const bw = W - labelW - noteW;
  items.forEach((it, i) => {
    const y = 4 + i * rowH;
    s.append(el('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end' }, it.label));
    const w = Math.max(2, (bw * it.value) / (max || 1));
    s.append(el('rect', { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 8, rx: 3, class: it.cls || cls }));
    s.append(el('text', { x: labelW + w + 6, y: y + 15 }, it.note ?? count(it.value)));
  });
  s.setAttribute('aria-label', items.map((i) => `${i.label} ${i.value}`).join(', '));
  target.replaceChildren(s);
}
