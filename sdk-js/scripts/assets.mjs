// Copies the built SDK (dist/*.js) into the server's assets, where the demo page loads it
// from (`/assets/sdk/`). The server compiles the copy into its binary, so the copy is
// committed; `test/unit/assets.test.mjs` fails when it differs from a fresh build.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const target = join(root, '..', 'server', 'assets', 'sdk');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const f of readdirSync(dist).filter((f) => f.endsWith('.js'))) copyFileSync(join(dist, f), join(target, f));
console.log(`copied the SDK to ${target}`);
