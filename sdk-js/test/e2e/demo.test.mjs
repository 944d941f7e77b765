// End-to-end: anshin's own demo page (`/`), as a new user opens it after `cargo run`, in
// headless Chromium with a virtual authenticator: sign up, autofill and button sign-ins,
// passkey management, the step-up before a sensitive change, the SMS fallback with the
// passkey nudge, and what a person sees when a ceremony fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, addAuthenticator, API_KEY } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const visible = (page, selector) => page.waitForSelector(`${selector}:not([hidden])`, { state: 'visible' });
const status = (page) => page.textContent('#status');

async function api(path, init = {}) {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers || {}) },
  });
  return { status: res.status, body: await res.json() };
}

async function signUp(page, username, displayName = username) {
  await page.fill('#signup-username', username);
  await page.fill('#signup-display', displayName);
  await page.click('#signup-button');
  await visible(page, '#signed-in');
  await page.waitForSelector('#passkeys li[data-id]');
}

/**
 * Signs out without being signed straight back in: with nobody at the authenticator, the
 * autofill request that signing out starts stays pending; it is then withdrawn (as a click on
 * a button does) before the authenticator answers again, so that it cannot answer it.
 */
async function signOutQuietly(page, cdp, authenticatorId) {
  await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
  await page.click('#signout');
  await visible(page, '#signed-out');
  await page.waitForFunction(() => window.anshinDemo.state.autofill !== null);
  await page.evaluate(() => window.anshinDemo.state.autofill.abort());
  await page.waitForFunction(() => window.anshinDemo.state.autofill === null);
  await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
}

describe('the demo page', () => {
  test('serves the page, its scripts and the SDK under a strict content security policy', async () => {
    for (const path of ['/', '/admin', '/assets/demo.js', '/assets/sdk/index.js', '/assets/style.css']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-security-policy'), /script-src 'self';/, path);
      assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    const missing = await fetch(`${server.url}/assets/../Cargo.toml`);
    assert.equal(missing.status, 404);
    const unknown = await fetch(`${server.url}/assets/nope.js`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).code, 'not_found');
  });

  test('sign up with a passkey, then sign in again by autofill', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await signUp(page, 'ada@example.com', 'Ada');
    assert.equal(await page.textContent('#who'), 'Ada');
    assert.match(await page.textContent('#session-badges'), /Phishing-resistant, hardware-bound/);
    const row = await page.textContent('#passkeys li[data-id]');
    assert.match(row, /Created \d{1,2} \w{3} \d{4}/);
    assert.match(row, /This device only/); // the virtual authenticator is not backup eligible
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(await page.getAttribute('#passkeys li[data-id]', 'data-id'), Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'));

    // Signing out arms passkey autofill; the authenticator answers it at once.
    await page.click('#signout');
    await visible(page, '#signed-in');
    assert.equal(await status(page), 'Signed in with a passkey from autofill.');
    assert.equal(await page.textContent('#who'), 'Ada');
    assert.match(await page.textContent('#passkeys li[data-id]'), /last used just now/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('sign in with the button, with a username and without one', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await signUp(page, 'grace@example.com', 'Grace');
    await signOutQuietly(page, cdp, authenticatorId);
    await page.fill('#signin-username', 'grace@example.com');
    await page.click('#signin-button');
    await visible(page, '#signed-in');
    assert.equal(await status(page), 'Signed in with a passkey.');
    assert.equal(await page.textContent('#who'), 'Grace');

    await signOutQuietly(page, cdp, authenticatorId);
    await page.fill('#signin-username', '');
    await page.click('#signin-button');
    await visible(page, '#signed-in');
    assert.equal(await page.textContent('#who'), 'Grace');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('rename, add and delete passkeys; a second passkey on the same device is explained', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await signUp(page, 'linus@example.com');
    // The same authenticator already holds this account's passkey.
    await page.click('#add-passkey');
    await page.waitForSelector('#status.error');
    assert.match(await status(page), /already has a passkey/);

    await page.click('#passkeys li[data-id] button:has-text("Rename")');
    await page.fill('#passkeys li[data-id] input', 'Work laptop');
    await page.click('#passkeys li[data-id] button:has-text("Save")');
    await page.waitForSelector('#passkeys li[data-id] .name:has-text("Work laptop")');

    // Another device: a second authenticator instead of the first.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    const second = await addAuthenticator(context, page);
    await page.click('#add-passkey');
    await page.waitForFunction(() => document.querySelectorAll('#passkeys li[data-id]').length === 2);
    assert.equal(await status(page), 'Passkey added.');
    const userId = await page.evaluate(() => window.anshinDemo.anshin.userId);
    let listed = await api(`/v1/users/${userId}/credentials`);
    assert.equal(listed.body.credentials.length, 2);

    const first = page.locator('#passkeys li[data-id]', { hasText: 'Work laptop' });
    await first.locator('button.danger').click();
    assert.equal(await first.locator('button.danger').textContent(), 'Really delete?');
    await first.locator('button.danger').click();
    await page.waitForFunction(() => document.querySelectorAll('#passkeys li[data-id]').length === 1);
    assert.match(await status(page), /Deleted the passkey "Work laptop"/);
    listed = await api(`/v1/users/${userId}/credentials`);
    assert.equal(listed.body.credentials.length, 1);
    const { credentials } = await second.cdp.send('WebAuthn.getCredentials', { authenticatorId: second.authenticatorId });
    assert.equal(listed.body.credentials[0].id, Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('changing the phone number after an unverified sign-in asks for a step-up first', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await signUp(page, 'barbara@example.com');
    await signOutQuietly(page, cdp, authenticatorId);
    // Sign in without user verification (an authenticator that cannot verify the user, say):
    // the session is below `phr`. The page's buttons ask for verification, so this goes
    // through the page's SDK instance directly.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.evaluate(async () => {
      window.anshinDemo.state.autofill?.abort();
      await window.anshinDemo.anshin.signIn({ username: 'barbara@example.com', userVerification: 'discouraged' });
      await window.anshinDemo.showSignedIn();
    });
    await visible(page, '#signed-in');
    assert.match(await page.textContent('#session-badges'), /Multi-factor/);
    const userId = await page.evaluate(() => window.anshinDemo.anshin.userId);

    // The server refuses the change without a step-up, with an RFC 9470 challenge.
    const token = await page.evaluate(() => window.anshinDemo.anshin.token);
    const refused = await fetch(`${server.url}/demo/phone`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+447700900999' }),
    });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'step_up_required');
    assert.match(refused.headers.get('www-authenticate'), /insufficient_user_authentication.*acr_values="phr".*max_age="120"/);

    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    await page.fill('#phone', '+447700900123');
    await page.click('#phone-save');
    await page.waitForSelector('#phone-result:has-text("Saved after a step-up.")');
    assert.match(await page.textContent('#session-badges'), /Phishing-resistant/);
    assert.equal((await api(`/v1/users/${userId}`)).body.phone, '+447700900123');

    // Straight after the step-up, a second change needs none.
    await page.fill('#phone', '+447700900124');
    await page.click('#phone-save');
    await page.waitForSelector('#phone-result:text-is("Saved.")');
    assert.equal((await api(`/v1/users/${userId}`)).body.phone, '+447700900124');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('SMS fallback for an account without a passkey, then the nudge creates one', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await page.click('#fallback-open');
    await visible(page, '#fallback-card');
    await page.fill('#legacy-username', 'margaret@example.com');
    await page.fill('#legacy-phone', '+447700900555');
    await page.click('#legacy-create');
    await page.waitForSelector('#status.ok');
    await page.click('#fallback-check');
    await visible(page, '#sms-step');
    assert.match(await page.textContent('#fallback-methods'), /A code by SMS/);
    await page.click('#sms-send');
    await visible(page, '#sms-form');
    await page.waitForSelector('#inbox li.mono');
    const message = await page.textContent('#inbox li.mono');
    const code = message.match(/\b(\d{6})\b/)?.[1];
    assert.ok(code, `a six-digit code in "${message}"`);

    await page.fill('#sms-code', code === '000000' ? '000001' : '000000');
    await page.click('#sms-verify');
    await page.waitForSelector('#status.error');
    await page.fill('#sms-code', code);
    await page.click('#sms-verify');
    await visible(page, '#signed-in');
    assert.match(await page.textContent('#session-badges'), /SMS code/);
    await visible(page, '#nudge');
    assert.match(await page.textContent('#passkeys'), /No passkey yet/);

    await page.click('#nudge-accept');
    await page.waitForSelector('#passkeys li[data-id]');
    assert.equal(await page.isHidden('#nudge'), true);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    const stats = await api('/v1/stats');
    assert.ok(stats.body.nudge_conversion > 0, JSON.stringify(stats.body));

    // With a passkey, the account is steered to it: no more SMS.
    await signOutQuietly(page, cdp, authenticatorId);
    await page.click('#fallback-open');
    await page.fill('#fallback-username', 'margaret@example.com');
    await page.click('#fallback-check');
    await page.waitForSelector('#fallback-methods .badge');
    assert.doesNotMatch(await page.textContent('#fallback-methods'), /SMS/);
    assert.equal(await page.isHidden('#sms-step'), true);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a forged assertion is refused, and the page says so', async () => {
    const { page, context, cdp, authenticatorId, problems } = await server.open('/');
    await signUp(page, 'mallory@example.com');
    await signOutQuietly(page, cdp, authenticatorId);
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: true });
    await page.fill('#signin-username', 'mallory@example.com');
    await page.click('#signin-button');
    await page.waitForSelector('#status.error');
    assert.match(await status(page), /signature/i);
    assert.equal(await page.isVisible('#signed-out'), true);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the sandbox is off on a server that is not a development one', async () => {
    const res = await fetch(`${server.url}/demo/config`);
    assert.equal((await res.json()).sandbox, true);
    // The gate itself (rp id and SMS sender) is tested in the server's own tests.
    const bad = await fetch(`${server.url}/demo/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).code, 'invalid_request');
  });
});
