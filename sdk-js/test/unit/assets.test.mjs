// The server serves the SDK to its demo page from a committed copy (server/assets/sdk/):
// the copy must be the SDK as built from src/ now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const copy = join(root, '..', 'server', 'assets', 'sdk');

test('the server\'s copy of the SDK is the current build (else: npm run build && npm run assets)', () => {
  const built = readdirSync(dist).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(readdirSync(copy).sort(), built);
  for (const f of built) {
    assert.equal(readFileSync(join(copy, f), 'utf8'), readFileSync(join(dist, f), 'utf8'), `server/assets/sdk/${f} is stale`);
  }
});
