// Size of the SDK as shipped to a browser: each entry point with the modules it imports,
// compiled without comments, indentation and blank lines stripped (no name mangling, so an
// upper bound of what a minifier gives), then gzipped at level 9.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'anshin-sdk-size-'));
try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json'), '--outDir', out, '--removeComments', '--declaration', 'false'], { stdio: 'inherit' });
  const files = Object.fromEntries(readdirSync(out).filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(out, f), 'utf8')]));
  const closure = (entry, seen = new Set()) => {
    if (seen.has(entry)) return seen;
    seen.add(entry);
    for (const m of files[entry].matchAll(/from '\.\/([^']+)'/g)) closure(m[1], seen);
    return seen;
  };
  const strip = (js) => js.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
  // the stripped modules must still load and export the same names
  for (const [f, js] of Object.entries(files)) writeFileSync(join(out, f), strip(js));
  for (const entry of ['client.js', 'index.js']) {
    const names = Object.keys(await import(join(out, entry))).sort().join();
    if (names !== Object.keys(await import(join(root, 'dist', entry))).sort().join()) throw new Error(`stripped ${entry} differs`);
  }
  for (const entry of ['client.js', 'index.js']) {
    const src = [...closure(entry)].map((f) => strip(files[f])).join('\n');
    const raw = [...closure(entry)].reduce((n, f) => n + Buffer.byteLength(files[f]), 0);
    const gz = gzipSync(src, { level: 9 }).length;
    console.log(`${entry === 'index.js' ? '@anshin/browser       ' : '@anshin/browser/client'}  ${raw} B compiled, ${Buffer.byteLength(src)} B stripped, ${gz} B gzipped`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
