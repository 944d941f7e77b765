// The browser layer's pieces that need no browser: the JSON fallbacks and the error mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { creationOptionsFromJSON, requestOptionsFromJSON, credentialToJSON, toWebAuthnError, WebAuthnError } from '../../dist/index.js';

const b = (s) => Buffer.from(s, 'base64url');
const u8 = (ab) => new Uint8Array(ab);

test('creation options: binary members decoded, everything else kept', () => {
  const json = {
    rp: { id: 'example.com', name: 'Example' },
    user: { id: 'dXNlci0x', name: 'alice', displayName: 'Alice' },
    challenge: 'q83v',
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }],
    timeout: 60000,
    excludeCredentials: [{ type: 'public-key', id: 'AAEC', transports: ['internal', 'hybrid'] }, { type: 'public-key', id: '_-8' }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    hints: ['client-device'],
    attestation: 'direct',
    extensions: { credProps: true, prf: { eval: { first: 'AQID' }, evalByCredential: { AAEC: { first: 'BA', second: 'BQ' } } }, largeBlob: { support: 'preferred' } },
  };
  const o = creationOptionsFromJSON(json);
  assert.deepEqual(u8(o.user.id), u8(b('dXNlci0x')));
  assert.equal(o.user.name, 'alice');
  assert.equal(o.user.displayName, 'Alice');
  assert.deepEqual(u8(o.challenge), new Uint8Array([0xab, 0xcd, 0xef]));
  assert.deepEqual(o.rp, json.rp);
  assert.deepEqual(o.pubKeyCredParams, json.pubKeyCredParams);
  assert.equal(o.timeout, 60000);
  assert.deepEqual(u8(o.excludeCredentials[0].id), new Uint8Array([0, 1, 2]));
  assert.deepEqual(o.excludeCredentials[0].transports, ['internal', 'hybrid']);
  assert.equal('transports' in o.excludeCredentials[1], false);
  assert.deepEqual(u8(o.excludeCredentials[1].id), new Uint8Array([0xff, 0xef]));
  assert.deepEqual(o.authenticatorSelection, json.authenticatorSelection);
  assert.deepEqual(o.hints, ['client-device']);
  assert.equal(o.attestation, 'direct');
  assert.equal(o.extensions.credProps, true);
  assert.deepEqual(u8(o.extensions.prf.eval.first), new Uint8Array([1, 2, 3]));
  assert.deepEqual(u8(o.extensions.prf.evalByCredential.AAEC.second), new Uint8Array([5]));
  assert.deepEqual(o.extensions.largeBlob, { support: 'preferred' });
  // the input is not modified
  assert.equal(json.user.id, 'dXNlci0x');
  assert.equal(json.extensions.prf.eval.first, 'AQID');
});

test('request options: absent members stay absent; a bad base64url is refused', () => {
  const o = requestOptionsFromJSON({ challenge: 'AAAA' });
  assert.deepEqual(Object.keys(o), ['challenge']);
  const p = requestOptionsFromJSON({ challenge: 'AAAA', rpId: 'example.com', userVerification: 'required', timeout: 5, allowCredentials: [{ type: 'public-key', id: 'AQ' }], extensions: { largeBlob: { write: 'AQID' } } });
  assert.equal(p.rpId, 'example.com');
  assert.equal(p.userVerification, 'required');
  assert.deepEqual(u8(p.allowCredentials[0].id), new Uint8Array([1]));
  assert.deepEqual(u8(p.extensions.largeBlob.write), new Uint8Array([1, 2, 3]));
  assert.throws(() => requestOptionsFromJSON({ challenge: 'AA==' }), TypeError);
});

test('the browser\'s own parser is used when present, unless native: false', () => {
  const saved = globalThis.PublicKeyCredential;
  try {
    globalThis.PublicKeyCredential = { parseRequestOptionsFromJSON: (j) => ({ native: j.challenge }) };
    assert.deepEqual(requestOptionsFromJSON({ challenge: 'AQ' }), { native: 'AQ' });
    assert.deepEqual(u8(requestOptionsFromJSON({ challenge: 'AQ' }, { native: false }).challenge), new Uint8Array([1]));
  } finally {
    globalThis.PublicKeyCredential = saved;
  }
});

function buf(...bytes) {
  return new Uint8Array(bytes).buffer;
}

test('a registration credential to RegistrationResponseJSON', () => {
  const cred = {
    id: 'AQID',
    rawId: buf(1, 2, 3),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: buf(0x7b, 0x7d),
      attestationObject: buf(0xa0),
      getAuthenticatorData: () => buf(9, 9),
      getTransports: () => ['internal', 'hybrid'],
      getPublicKey: () => buf(0x30, 0x59),
      getPublicKeyAlgorithm: () => -7,
    },
    getClientExtensionResults: () => ({ credProps: { rk: true }, prf: { enabled: true, results: { first: buf(0xff) } } }),
  };
  assert.deepEqual(credentialToJSON(cred), {
    id: 'AQID',
    rawId: 'AQID',
    type: 'public-key',
    authenticatorAttachment: 'platform',
    clientExtensionResults: { credProps: { rk: true }, prf: { enabled: true, results: { first: '_w' } } },
    response: { clientDataJSON: 'e30', attestationObject: 'oA', authenticatorData: 'CQk', transports: ['internal', 'hybrid'], publicKey: 'MFk', publicKeyAlgorithm: -7 },
  });
  // a browser without the getters: only the required members
  const old = { ...cred, response: { clientDataJSON: buf(1), attestationObject: buf(2) }, authenticatorAttachment: undefined };
  assert.deepEqual(credentialToJSON(old).response, { clientDataJSON: 'AQ', attestationObject: 'Ag' });
  assert.equal(credentialToJSON(old).authenticatorAttachment, null);
  // toJSON() wins when present
  assert.deepEqual(credentialToJSON({ ...cred, toJSON: () => ({ from: 'browser' }) }), { from: 'browser' });
  assert.equal(credentialToJSON({ ...cred, toJSON: () => ({ from: 'browser' }) }, { native: false }).id, 'AQID');
});

test('an assertion to AuthenticationResponseJSON, with and without a user handle', () => {
  const cred = {
    id: 'BAU',
    rawId: buf(4, 5),
    type: 'public-key',
    authenticatorAttachment: 'cross-platform',
    response: { clientDataJSON: buf(1), authenticatorData: buf(2), signature: buf(3), userHandle: buf(0x75) },
    getClientExtensionResults: () => ({}),
  };
  assert.deepEqual(credentialToJSON(cred), {
    id: 'BAU',
    rawId: 'BAU',
    type: 'public-key',
    authenticatorAttachment: 'cross-platform',
    clientExtensionResults: {},
    response: { clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw', userHandle: 'dQ' },
  });
  const noHandle = credentialToJSON({ ...cred, response: { ...cred.response, userHandle: null } });
  assert.equal('userHandle' in noHandle.response, false);
});

test('WebAuthn DOMExceptions map to typed errors with actionable messages', () => {
  const dom = (name) => new DOMException('x', name);
  const cases = [
    ['NotAllowedError', 'get', 'cancelled', /cancelled or timed out/],
    ['InvalidStateError', 'create', 'already_registered', /already has a passkey/],
    ['InvalidStateError', 'get', 'unknown', /InvalidStateError/],
    ['SecurityError', 'get', 'security', /not allowed to use passkeys/],
    ['AbortError', 'create', 'aborted', /stopped/],
    ['NotSupportedError', 'create', 'not_supported', /cannot use passkeys/],
    ['ConstraintError', 'create', 'constraint', /cannot verify you/],
    ['UnknownError', 'get', 'unknown', /UnknownError/],
  ];
  for (const [name, ceremony, code, msg] of cases) {
    const e = toWebAuthnError(dom(name), ceremony);
    assert.ok(e instanceof WebAuthnError);
    assert.equal(e.code, code, name);
    assert.equal(e.ceremony, ceremony);
    assert.match(e.message, msg);
    assert.equal(e.cause.name, name);
  }
  // the caller's signal fired: aborted, whatever the browser rejected with
  assert.equal(toWebAuthnError(new Error('my reason'), 'get', true).code, 'aborted');
  assert.equal(toWebAuthnError('weird', 'get').code, 'unknown');
});
