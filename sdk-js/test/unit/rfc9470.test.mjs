import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWwwAuthenticate, parseStepUpChallenge, fetchWithStepUp } from '../../dist/client.js';

test('parses the challenge anshin prepares', () => {
  const h = 'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="phr phrh", max_age="300"';
  assert.deepEqual(parseStepUpChallenge(h), {
    acrValues: ['phr', 'phrh'],
    maxAge: 300,
    params: {
      error: 'insufficient_user_authentication',
      error_description: 'A different authentication level is required',
      acr_values: 'phr phrh',
      max_age: '300',
    },
  });
});

test('token values, odd spacing, case-insensitive scheme and names, escapes', () => {
  const c = parseStepUpChallenge('bearer  ERROR = insufficient_user_authentication ,acr_values="a\\"b c",MAX_AGE=0');
  assert.deepEqual(c.acrValues, ['a"b', 'c']);
  assert.equal(c.maxAge, 0);
});

test('finds the Bearer challenge among several, with commas inside quoted strings', () => {
  const h = 'Basic realm="x, y", Negotiate abc123==, Bearer realm="api", error="insufficient_user_authentication", acr_values="phrh"';
  const all = parseWwwAuthenticate(h);
  assert.deepEqual(all.map((c) => c.scheme), ['basic', 'negotiate', 'bearer']);
  assert.equal(all[0].params.realm, 'x, y');
  assert.equal(all[1].token68, 'abc123==');
  const c = parseStepUpChallenge(h);
  assert.deepEqual(c.acrValues, ['phrh']);
  assert.equal(c.maxAge, undefined);
  assert.equal(c.params.realm, 'api');
});

test('no step-up challenge: other errors, other schemes, empty or malformed headers', () => {
  assert.equal(parseStepUpChallenge('Bearer error="invalid_token"'), undefined);
  assert.equal(parseStepUpChallenge('DPoP error="insufficient_user_authentication"'), undefined);
  assert.equal(parseStepUpChallenge(''), undefined);
  assert.equal(parseStepUpChallenge(null), undefined);
  assert.equal(parseStepUpChallenge('Bearer error="insufficient_user_authentication'), undefined); // unterminated
  const c = parseStepUpChallenge('Bearer error="insufficient_user_authentication", max_age="soon"');
  assert.equal(c.maxAge, undefined);
  assert.deepEqual(c.acrValues, []);
});

function fakeFetch(answers) {
  const calls = [];
  const f = async (input, init) => {
    calls.push({ url: String(input), auth: new Headers(init.headers).get('authorization'), body: init.body, method: init.method });
    const [status, headers, body] = answers.shift();
    return new Response(body ?? null, { status, headers });
  };
  return { f, calls };
}

test('fetchWithStepUp: steps up on the challenge and retries once with the new token', async () => {
  const { f, calls } = fakeFetch([
    [401, { 'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="phr", max_age="60"' }],
    [200, {}, 'done'],
  ]);
  let token = 'low';
  const seen = [];
  const res = await fetchWithStepUp('https://api.example/transfer', { method: 'POST', body: '{"a":1}' }, {
    fetch: f,
    token: () => token,
    stepUp: async (c) => {
      seen.push(c);
      token = 'high';
    },
  });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'done');
  assert.deepEqual(calls.map((c) => [c.method, c.auth, c.body]), [
    ['POST', 'Bearer low', '{"a":1}'],
    ['POST', 'Bearer high', '{"a":1}'],
  ]);
  assert.deepEqual(seen.map((c) => [c.acrValues, c.maxAge]), [[['phr'], 60]]);
});

test('fetchWithStepUp: other refusals, a declined step-up and a second refusal come back as they are', async () => {
  {
    const { f, calls } = fakeFetch([[403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }]]);
    const res = await fetchWithStepUp('/x', {}, { fetch: f, stepUp: async () => assert.fail('no step-up expected') });
    assert.equal(res.status, 403);
    assert.equal(calls.length, 1);
  }
  {
    const ch = { 'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="phrh"' };
    const { f, calls } = fakeFetch([[403, ch]]);
    const res = await fetchWithStepUp('/x', {}, { fetch: f, stepUp: async () => false });
    assert.equal(res.status, 403);
    assert.equal(calls.length, 1);
  }
  {
    const ch = { 'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="phrh"' };
    const { f, calls } = fakeFetch([[401, ch], [401, ch]]);
    let steps = 0;
    const res = await fetchWithStepUp('/x', {}, { fetch: f, stepUp: async () => void steps++ });
    assert.equal(res.status, 401);
    assert.equal(steps, 1);
    assert.equal(calls.length, 2);
  }
  await assert.rejects(
    fetchWithStepUp('/x', { method: 'POST', body: new ReadableStream() }, { fetch: async () => new Response(), stepUp: async () => {} }),
    TypeError,
  );
});

test('fetchWithStepUp: the caller\'s own Authorization header is replaced only when there is a token', async () => {
  const { f, calls } = fakeFetch([[200, {}]]);
  await fetchWithStepUp('/x', { headers: { authorization: 'Bearer mine', 'x-a': '1' } }, { fetch: f, stepUp: async () => {} });
  assert.equal(calls[0].auth, 'Bearer mine');
});
