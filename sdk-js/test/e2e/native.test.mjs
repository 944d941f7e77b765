// A native app's path: the platform (Android Credential Manager here) hands the app WebAuthn
// JSON, and the app talks to anshin with the DOM-free client from Node-like runtimes. A small
// software authenticator stands in for the platform: it builds the same JSON, with the app's
// `android:apk-key-hash:` origin in clientDataJSON. Needs target/debug/anshin (no browser use).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { startStack, ANDROID_ORIGIN } from './harness.mjs';
import { AnshinClient, AnshinError } from '../../dist/client.js';

let stack;
before(async () => {
  stack = await startStack({ browser: false });
});
after(async () => {
  await stack?.stop();
});

// --- a minimal CBOR encoder (unsigned/negative ints, byte and text strings, maps) ---
function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
function cbor(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  throw new TypeError('cbor: unsupported value');
}

const b64u = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();

/** A platform authenticator with one ES256 passkey, answering as Android's Credential Manager would. */
class SoftwarePasskeyProvider {
  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.jwk = publicKey.export({ format: 'jwk' });
    this.credentialId = randomBytes(16);
    this.signCount = 0;
  }

  clientData(type, challenge) {
    return Buffer.from(JSON.stringify({ type, challenge, origin: ANDROID_ORIGIN, androidPackageName: 'com.example.app' }));
  }

  /** `CreatePublicKeyCredentialResponse.registrationResponseJson` */
  create(options) {
    this.rpId = options.rp.id;
    this.userHandle = options.user.id;
    const coseKey = new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(this.jwk.x, 'base64url')], [-3, Buffer.from(this.jwk.y, 'base64url')]]);
    const idLen = Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 255]);
    // flags: UP 0x01 | UV 0x04 | BE 0x08 | BS 0x10 | AT 0x40 (a synced passkey)
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x5d]), Buffer.alloc(4), Buffer.alloc(16), idLen, this.credentialId, cbor(coseKey)]);
    const attestationObject = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', options.challenge)),
        attestationObject: b64u(attestationObject),
        transports: ['internal', 'hybrid'],
      },
    };
  }

  /** `PublicKeyCredential.authenticationResponseJson` from `GetCredentialResponse` */
  get(options) {
    assert.equal(options.rpId ?? this.rpId, this.rpId);
    this.signCount += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.signCount);
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x1d]), count]); // UP UV BE BS
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: this.userHandle,
      },
    };
  }
}

test('a native app registers and signs in with platform JSON through the DOM-free client', async () => {
  const app = new AnshinClient({ baseUrl: stack.anshinBase });
  const provider = new SoftwarePasskeyProvider();

  const reg = await app.registrationOptions({ user: { name: 'native@example.com', display_name: 'Native' } });
  const created = await app.registrationVerify({ ceremony_id: reg.ceremony_id, credential: provider.create(reg.publicKey), nickname: 'Pixel' });
  assert.equal(created.credential.id, b64u(provider.credentialId));
  assert.equal(created.credential.backup_eligible, true);
  assert.equal(created.credential.nickname, 'Pixel');
  assert.ok(created.session.token);

  app.signOut();
  const start = await app.authenticationOptions({ username: 'native@example.com' });
  assert.ok(start.publicKey.allowCredentials.some((c) => c.id === b64u(provider.credentialId)));
  const body = { ceremony_id: start.ceremony_id, credential: provider.get(start.publicKey) };
  const done = await app.authenticationVerify(body);
  assert.equal(done.user_id, created.user_id);
  assert.equal(done.user_verified, true);
  assert.equal(done.acr, 'phr'); // a synced passkey with user verification
  assert.deepEqual(done.amr.sort(), ['mfa', 'swk', 'user']);
  assert.equal(app.token, done.session.token);
  if (process.env.SHOW_NATIVE_EXAMPLE) console.log(JSON.stringify(body, null, 2));

  // the same JSON cannot be replayed: the ceremony was finished
  const replay = await app.authenticationVerify(body).catch((e) => e);
  assert.ok(replay instanceof AnshinError);
  assert.equal(replay.code, 'ceremony_unknown_or_expired');
});

test('an app origin that is not configured is refused with origin_not_allowed', async () => {
  const app = new AnshinClient({ baseUrl: stack.anshinBase });
  const provider = new SoftwarePasskeyProvider();
  const reg = await app.registrationOptions({ user: { name: 'other-app@example.com' } });
  const cred = provider.create(reg.publicKey);
  const cd = JSON.parse(Buffer.from(cred.response.clientDataJSON, 'base64url'));
  cd.origin = 'android:apk-key-hash:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  cred.response.clientDataJSON = b64u(Buffer.from(JSON.stringify(cd)));
  const e = await app.registrationVerify({ ceremony_id: reg.ceremony_id, credential: cred }).catch((x) => x);
  assert.ok(e instanceof AnshinError, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, 'origin_not_allowed');
});
