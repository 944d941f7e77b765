import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnshinClient, AnshinError } from '../../dist/client.js';

/** A fake fetch that records requests and answers from a script. */
function fake(...answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, headers: { ...init.headers }, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const a = answers.shift();
    if (a instanceof Error) throw a;
    const [status, body, headers = {}] = a;
    const h = { ...headers };
    if (body !== undefined && !h['content-type']) h['content-type'] = status >= 400 ? 'application/problem+json' : 'application/json';
    return new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), { status, headers: h });
  };
  return { fetch, calls };
}

const session = { token: 'tok-1', session_id: 'sid-1', expires_at: 1 };

test('the client needs no DOM: it loads and runs in Node', () => {
  assert.equal(typeof globalThis.window, 'undefined');
  assert.equal(typeof globalThis.navigator?.credentials, 'undefined');
  assert.ok(new AnshinClient({ fetch: async () => new Response() }));
});

test('registration: request shapes, base URL, and the new session is kept', async () => {
  const { fetch, calls } = fake(
    [200, { ceremony_id: 'c1', publicKey: { challenge: 'AA' } }],
    [200, { user_id: 'u1', credential: { id: 'cred1' }, session }],
    [200, { credentials: [{ id: 'cred1' }] }],
  );
  const c = new AnshinClient({ baseUrl: 'https://auth.example/', fetch, deviceId: 'dev-9' });
  const opts = await c.registrationOptions({ user: { name: 'a@example.com', display_name: 'A' } });
  assert.equal(opts.ceremony_id, 'c1');
  const cred = { id: 'x', rawId: 'x', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'e30', attestationObject: 'oA' } };
  await c.registrationVerify({ ceremony_id: 'c1', credential: cred, nickname: 'Phone' });
  assert.equal(c.token, 'tok-1');
  assert.equal(c.userId, 'u1');
  await c.listCredentials();
  assert.deepEqual(calls.map((x) => [x.method, x.url]), [
    ['POST', 'https://auth.example/v1/registration/options'],
    ['POST', 'https://auth.example/v1/registration/verify'],
    ['GET', 'https://auth.example/v1/users/u1/credentials'],
  ]);
  assert.deepEqual(calls[0].body, { user: { name: 'a@example.com', display_name: 'A' } });
  assert.deepEqual(calls[1].body, { ceremony_id: 'c1', credential: cred, nickname: 'Phone' });
  assert.equal(calls[0].headers['content-type'], 'application/json');
  assert.equal(calls[0].headers['x-anshin-device'], 'dev-9');
  assert.equal(calls[0].headers.authorization, undefined);
  assert.equal(calls[2].headers.authorization, 'Bearer tok-1');
  assert.equal(calls[2].body, undefined);
  assert.equal(calls[2].headers['content-type'], undefined);
});

test('sign-in, step-up, SMS and passkey management call the documented endpoints', async () => {
  const { fetch, calls } = fake(
    [200, { ceremony_id: 'c2', publicKey: {}, mediation: 'conditional' }],
    [200, { user_id: 'u 2', credential_id: 'k', session, acr: 'phrh', amr: ['hwk'], user_verified: true, risk: {} }],
    [200, { ceremony_id: 'c3', publicKey: {} }],
    [200, { session: { ...session, token: 'tok-2' }, acr: 'phrh', amr: [], auth_time: 5 }],
    [200, { id: 'k/1', nickname: 'Work' }],
    [204, undefined],
    [200, { allowed_methods: ['sms'], risk: {} }],
    [200, { otp_id: 'o1', expires_at: 9 }],
    [200, { user_id: 'u3', session: { ...session, token: 'tok-3' }, acr: 'urn:anshin:acr:sms', amr: ['sms', 'otp'], enroll_passkey: true }],
  );
  const c = new AnshinClient({ fetch });
  const o = await c.authenticationOptions({ mediation: 'conditional' });
  assert.equal(o.mediation, 'conditional');
  await c.authenticationVerify({ ceremony_id: 'c2', credential: {} });
  await c.stepUpOptions({ action: 'change_phone' });
  await c.stepUpVerify({ ceremony_id: 'c3', credential: {} });
  assert.equal(c.token, 'tok-2');
  assert.equal(c.userId, 'u 2');
  await c.renameCredential('k/1', 'Work');
  assert.equal(await c.deleteCredential('k/1', 'other'), undefined);
  await c.fallbackOptions({ username: 'b' });
  await c.smsSend({ username: 'b' });
  const v = await c.smsVerify({ otp_id: 'o1', code: '123456' });
  assert.equal(v.enroll_passkey, true);
  assert.equal(c.token, 'tok-3');
  assert.equal(c.userId, 'u3');
  assert.deepEqual(calls.map((x) => [x.method, x.url, x.body, x.headers.authorization]), [
    ['POST', '/v1/authentication/options', { mediation: 'conditional' }, undefined],
    ['POST', '/v1/authentication/verify', { ceremony_id: 'c2', credential: {} }, undefined],
    ['POST', '/v1/step-up/options', { action: 'change_phone' }, 'Bearer tok-1'],
    ['POST', '/v1/step-up/verify', { ceremony_id: 'c3', credential: {} }, 'Bearer tok-1'],
    ['PATCH', '/v1/users/u%202/credentials/k%2F1', { nickname: 'Work' }, 'Bearer tok-2'],
    ['DELETE', '/v1/users/other/credentials/k%2F1', undefined, 'Bearer tok-2'],
    ['POST', '/v1/fallback/options', { username: 'b' }, 'Bearer tok-2'],
    ['POST', '/v1/fallback/sms/send', { username: 'b' }, 'Bearer tok-2'],
    ['POST', '/v1/fallback/sms/verify', { otp_id: 'o1', code: '123456' }, 'Bearer tok-2'],
  ]);
});

test('with an API key the client keeps no user session (a backend relaying for many users)', async () => {
  const { fetch, calls } = fake(
    [200, { user_id: 'u1', credential_id: 'k', session, acr: 'phr', amr: [], user_verified: true, risk: {} }],
    [200, { credentials: [] }],
  );
  const c = new AnshinClient({ fetch, apiKey: 'key-0123456789abcdef' });
  await c.authenticationVerify({ ceremony_id: 'c', credential: {}, context: { ip: '203.0.113.9', user_agent: 'App/1.0' } });
  assert.equal(c.token, undefined);
  await c.listCredentials('u1');
  assert.equal(calls[0].headers.authorization, 'Bearer key-0123456789abcdef');
  assert.deepEqual(calls[0].body.context, { ip: '203.0.113.9', user_agent: 'App/1.0' });
  assert.equal(calls[1].headers.authorization, 'Bearer key-0123456789abcdef');
});

test('a per-call bearer overrides the session; no user id is a TypeError before any request', async () => {
  const { fetch, calls } = fake([200, { credentials: [] }]);
  const c = new AnshinClient({ fetch, token: 'tok' });
  await c.listCredentials('u', { bearer: 'other' });
  assert.equal(calls[0].headers.authorization, 'Bearer other');
  await assert.rejects(c.deleteCredential('k'), TypeError);
  await assert.rejects(c.renameCredential('k', 'n'), TypeError);
  await assert.rejects(c.listCredentials(), TypeError);
  assert.equal(calls.length, 1);
});

test('problem+json answers become AnshinError with status, code and detail', async () => {
  const problem = { type: 'https://anshin.dev/errors/challenge_mismatch', title: 'Bad Request', status: 400, detail: 'rejected: the challenge does not match', code: 'challenge_mismatch' };
  const { fetch } = fake([400, problem], [429, { ...problem, status: 429, code: 'rate_limited', detail: 'slow down' }, { 'retry-after': '30' }]);
  const c = new AnshinClient({ fetch });
  const e = await c.authenticationVerify({ ceremony_id: 'c', credential: {} }).then(() => assert.fail('resolved'), (x) => x);
  assert.ok(e instanceof AnshinError);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'AnshinError');
  assert.equal(e.status, 400);
  assert.equal(e.code, 'challenge_mismatch');
  assert.equal(e.detail, 'rejected: the challenge does not match');
  assert.deepEqual(e.problem, problem);
  assert.equal(e.retryAfter, undefined);
  assert.equal(c.token, undefined);
  const r = await c.smsSend({ username: 'x' }).catch((x) => x);
  assert.equal(r.code, 'rate_limited');
  assert.equal(r.status, 429);
  assert.equal(r.retryAfter, 30);
});

test('non-problem errors and network failures are AnshinError too', async () => {
  const { fetch } = fake([502, '<html>Bad gateway</html>', { 'content-type': 'text/html' }], new TypeError('fetch failed'));
  const c = new AnshinClient({ fetch });
  const a = await c.fallbackOptions({ username: 'x' }).catch((x) => x);
  assert.ok(a instanceof AnshinError);
  assert.equal(a.status, 502);
  assert.equal(a.code, 'http_502');
  assert.match(a.detail, /Bad gateway/);
  const b = await c.fallbackOptions({ username: 'x' }).catch((x) => x);
  assert.ok(b instanceof AnshinError);
  assert.equal(b.status, 0);
  assert.equal(b.code, 'network_error');
  assert.match(b.detail, /fetch failed/);
});

test('an aborted call rejects with the abort, not a network error', async () => {
  const ctl = new AbortController();
  const fetch = (_u, init) =>
    new Promise((_, rej) => init.signal.addEventListener('abort', () => rej(new DOMException('aborted', 'AbortError'))));
  const c = new AnshinClient({ fetch });
  const p = c.authenticationOptions({}, { signal: ctl.signal });
  ctl.abort();
  const e = await p.catch((x) => x);
  assert.equal(e.name, 'AbortError');
});
