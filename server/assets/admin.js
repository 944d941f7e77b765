// The dashboard: passkey adoption, sign-in method mix and SMS share over time, SMS blocked by
// reason with the cost avoided, risk decisions by action, level and reason, and recent
// security events. It reads the API with an API key through @anshin/browser's client.
import { AnshinClient, AnshinError } from '/assets/sdk/client.js';
import { lineChart, stackedBars, hbars } from '/assets/charts.js';

const $ = (id) => document.getElementById(id);
const KEY = 'anshin.dashboard.apiKey';

function say(text, kind = 'info') {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
  el.hidden = !text;
}

const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const hourFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const whenFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const pct = (v) => `${Math.round(v * 1000) / 10}%`;
const money = (v) => v.toFixed(2);

function kpi(label, value, sub) {
  const div = document.createElement('div');
  div.className = 'kpi';
  const l = document.createElement('div');
  l.className = 'label';
  l.textContent = label;
  const v = document.createElement('div');
  v.className = 'value';
  v.textContent = value;
  const s = document.createElement('div');
  s.className = 'sub';
  s.textContent = sub;
  div.append(l, v, s);
  return div;
}

const REASONS = {
  impossible_travel: 'Impossible travel',
  new_device: 'New device',
  new_country: 'New country',
  anonymous_network: 'Anonymous network',
  hosting_network: 'Hosting network',
  ip_failure_burst: 'Failures from one address',
  user_failure_burst: 'Failures on one account',
  password_spray: 'Spray across accounts',
  uv_absent: 'No user verification',
  counter_regression: 'Counter went back',
  backup_state_changed: 'Backup state changed',
  credential_recently_added: 'Passkey just added',
  authenticator_status: 'Authenticator status',
  signal_unavailable: 'Signal unavailable',
  sms_backoff: 'SMS backoff',
  sms_country_blocked: 'Country blocked',
  sms_number_type: 'Number type',
  sms_passkey_holder: 'Holds a passkey',
  sms_prefix_blocked: 'Prefix breaker (pumping)',
  sms_velocity: 'SMS velocity',
};
const label = (code) => REASONS[code] || code.replace(/_/g, ' ');

function summary(data) {
  if (!data || typeof data !== 'object') return '';
  return Object.entries(data)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
    .slice(0, 120);
}

async function load(client) {
  const bucket = $('window').value;
  const series = await client.request('GET', `/v1/stats/series?bucket=${bucket}`);
  const [stats, events] = await Promise.all([
    client.request('GET', `/v1/stats?since=${series.since}`),
    client.request('GET', '/v1/events?latest=true&limit=15'),
  ]);
  const b = series.buckets;
  const labels = b.map((x) => (bucket === 'day' ? dayFmt : hourFmt).format(new Date(x.start * 1000)));
  const last = b[b.length - 1];
  const logins = stats.logins.passkey + stats.logins.sms;
  const blocked = stats.sms.blocked.reduce((a, x) => a + x.count, 0);

  $('kpis').replaceChildren(
    kpi('Passkey adoption', pct(last.adoption), `${last.users_with_passkey} of ${last.users} users`),
    kpi('Sign-ins', String(logins), `${stats.logins.passkey} passkey · ${stats.logins.sms} SMS`),
    kpi('SMS share', pct(stats.fallback_share), `${Math.round(stats.sms_per_1000_logins)} SMS per 1,000 sign-ins`),
    kpi('SMS sent', String(stats.sms.sent), `cost ${money(stats.sms.cost)}`),
    kpi('SMS blocked', String(blocked), `${money(stats.sms.cost_avoided)} avoided`),
    kpi('Nudge conversion', pct(stats.nudge_conversion), 'passkeys made after an SMS sign-in'),
  );

  lineChart($('chart-adoption'), { labels, values: b.map((x) => x.adoption), name: 'Users with a passkey' });
  stackedBars($('chart-mix'), {
    labels,
    stacks: [
      { name: 'Passkey', cls: 'c1', values: b.map((x) => x.logins_passkey) },
      { name: 'SMS', cls: 'c2', values: b.map((x) => x.logins_sms) },
    ],
    line: { name: 'SMS share (right axis)', values: b.map((x) => (x.logins_passkey + x.logins_sms ? x.sms_share : null)) },
  });
  stackedBars($('chart-sms'), {
    labels,
    stacks: [
      { name: 'Sent', cls: 'c2', values: b.map((x) => x.sms_sent) },
      { name: 'Blocked', cls: 'c4', values: b.map((x) => x.sms_blocked) },
    ],
  });
  hbars(
    $('chart-blocked'),
    [...stats.sms.blocked].sort((x, y) => y.count - x.count).map((x) => ({ label: label(x.reason), value: x.count, note: `${x.count} · ${money(x.cost_avoided)} avoided` })),
    { cls: 'c4', empty: 'No SMS was blocked in this window.' },
  );
  stackedBars($('chart-decisions'), {
    labels,
    stacks: [
      { name: 'Allow', cls: 'c1', values: b.map((x) => x.decisions_allow) },
      { name: 'Step-up', cls: 'c2', values: b.map((x) => x.decisions_step_up) },
      { name: 'Deny', cls: 'c4', values: b.map((x) => x.decisions_deny) },
    ],
  });
  const levelCls = { LOW: 'c1', MEDIUM: 'c2', HIGH: 'c4' };
  hbars($('chart-levels'), series.decisions_by_level.map((x) => ({ label: `Level ${x.key.toLowerCase()}`, value: x.count, cls: levelCls[x.key] || 'c3' })), { empty: 'No risk decisions in this window.' });
  hbars($('chart-reasons'), series.decisions_by_reason.slice(0, 8).map((x) => ({ label: label(x.key), value: x.count })), { cls: 'c3', empty: 'No decision gave a reason.' });

  const rows = [...events.events].reverse().map((e) => {
    const tr = document.createElement('tr');
    const cells = [
      whenFmt.format(new Date(e.created_at * 1000)),
      e.kind,
      e.user_id ? e.user_id.slice(0, 8) : '–',
      summary(e.data),
    ];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 2 || i === 3) td.className = 'mono';
      tr.append(td);
    });
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.className = 'muted';
    td.textContent = 'No events yet.';
    tr.append(td);
    rows.push(tr);
  }
  $('events').replaceChildren(...rows);
}

async function open(key) {
  const client = new AnshinClient({ apiKey: key });
  try {
    await load(client);
  } catch (e) {
    if (e instanceof AnshinError && e.status === 401) {
      sessionStorage.removeItem(KEY);
      showKeyForm();
      say('That API key was not accepted.', 'error');
      return;
    }
    say(`The figures could not be loaded: ${e.message}`, 'error');
    return;
  }
  say('');
  $('key-card').hidden = true;
  $('board').hidden = false;
  $('window').hidden = false;
  $('forget').hidden = false;
  $('window').onchange = () => open(key);
  document.body.dataset.ready = 'true';
}

function showKeyForm() {
  $('board').hidden = true;
  $('window').hidden = true;
  $('forget').hidden = true;
  $('key-card').hidden = false;
  document.body.dataset.ready = 'true';
}

$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('key').value.trim();
  sessionStorage.setItem(KEY, key);
  $('key').value = '';
  open(key);
});
$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  showKeyForm();
});

const saved = sessionStorage.getItem(KEY);
if (saved) open(saved);
else showKeyForm();
