// End-to-end: the SDK in headless Chromium against a real anshin server, with a CDP virtual
// authenticator. Needs `npm run build`, /usr/bin/chromium and target/debug/anshin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startStack, inPage, API_KEY } from './harness.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

function ok(r) {
  assert.equal(r.error, undefined, `unexpected error in the page: ${JSON.stringify(r.error)}`);
  return r.value;
}

describe('passkey ceremonies', () => {
  test('register signs a new user up and returns a signed-in session', async () => {
    const { page, cdp, authenticatorId, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      const r = await anshin.register({ username: 'reg@example.com', displayName: 'Reg', nickname: 'Laptop' });
      return { r, token: anshin.token, userId: anshin.userId };
    }));
    assert.match(v.r.user_id, /.+/);
    assert.equal(v.userId, v.r.user_id);
    assert.equal(v.token, v.r.session.token);
    assert.equal(v.r.credential.nickname, 'Laptop');
    assert.deepEqual(v.r.credential.transports, ['internal']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true);
    // the authenticator's credential id (standard base64) is the one the server stored (base64url)
    assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'), v.r.credential.id);
    await context.close();
  });

  test('sign in with a username, and without one', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      const reg = await anshin.register({ username: 'signin@example.com' });
      anshin.signOut();
      const named = await anshin.signIn({ username: 'signin@example.com' });
      anshin.signOut();
      const nameless = await anshin.signIn();
      return { reg, named, nameless, token: anshin.token };
    }));
    for (const s of [v.named, v.nameless]) {
      assert.equal(s.user_id, v.reg.user_id);
      assert.equal(s.credential_id, v.reg.credential.id);
      assert.equal(s.user_verified, true);
      assert.equal(s.acr, 'phrh');
      assert.equal(s.risk.action, 'allow');
    }
    assert.notEqual(v.named.session.session_id, v.nameless.session.session_id);
    assert.equal(v.token, v.nameless.session.token);
    await context.close();
  });

  test('a second passkey on the same authenticator is refused as already registered', async () => {
    const { page, context } = await stack.newPage();
    const v = await inPage(page, async () => {
      await anshin.register({ username: 'twice@example.com' });
      return anshin.register({}); // signed in: add a passkey; excludeCredentials lists the first
    });
    assert.equal(v.error?.name, 'WebAuthnError');
    assert.equal(v.error.code, 'already_registered');
    assert.equal(v.error.causeName, 'InvalidStateError');
    assert.match(v.error.message, /already has a passkey/);
    await context.close();
  });

  test('a ceremony the user does not verify is a typed "cancelled" error', async () => {
    const { page, context } = await stack.newPage({ isUserVerified: false });
    const v = await inPage(page, () => anshin.register({ username: 'nouv@example.com', userVerification: 'required' }));
    assert.equal(v.error?.name, 'WebAuthnError');
    assert.equal(v.error.code, 'cancelled');
    assert.equal(v.error.causeName, 'NotAllowedError');
    assert.match(v.error.message, /cancelled or timed out/);
    await context.close();
  });

  test('with the authenticator removed the ceremony waits, and aborting it is a typed "aborted" error', async () => {
    const { page, cdp, authenticatorId, context } = await stack.newPage();
    ok(await inPage(page, async () => {
      await anshin.register({ username: 'gone@example.com' });
      anshin.signOut();
    }));
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    // no authenticator at all: Chromium waits for one until the ceremony's timeout, so abort
    // the request after the browser has received it instead of waiting minutes
    const v = await inPage(page, async () => {
      const ctl = new AbortController();
      const p = anshin.signIn({ username: 'gone@example.com', signal: ctl.signal });
      setTimeout(() => ctl.abort(), 300);
      return p;
    });
    assert.equal(v.error?.name, 'WebAuthnError');
    assert.equal(v.error.code, 'aborted');
    await context.close();
  });
});

test('a page whose origin does not fit the rp id gets a typed "security" error', async () => {
  const { page, context } = await stack.newPage();
  // same server, reached by IP: an IP literal is never a valid rp id
  await page.goto(stack.origin.replace('localhost', '127.0.0.1') + '/');
  await page.waitForFunction(() => window.ready === true);
  const v = await inPage(page, () => anshin.register({ username: 'ip@example.com' }));
  assert.equal(v.error?.name, 'WebAuthnError');
  assert.equal(v.error.code, 'security');
  assert.equal(v.error.causeName, 'SecurityError');
  await context.close();
});

describe('conditional mediation (autofill)', () => {
  test('feature detection reports autofill and client capabilities', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => ({
      supported: sdk.isWebAuthnSupported(),
      cma: await sdk.isConditionalMediationAvailable(),
      caps: await sdk.getClientCapabilities(),
      platform: await sdk.isPlatformAuthenticatorAvailable(),
    })));
    assert.equal(v.supported, true);
    assert.equal(v.cma, true);
    assert.equal(v.caps.conditionalGet, true);
    assert.equal(v.platform, true);
    await context.close();
  });

  test('a conditional sign-in resolves when the authenticator answers', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      const reg = await anshin.register({ username: 'autofill@example.com' });
      anshin.signOut();
      const s = await anshin.signIn({ mediation: 'conditional' });
      return { reg, s };
    }));
    assert.equal(v.s.user_id, v.reg.user_id);
    assert.equal(v.s.credential_id, v.reg.credential.id);
    await context.close();
  });

  test('a pending conditional sign-in can be aborted, and is aborted by a modal sign-in', async () => {
    const { page, cdp, authenticatorId, context } = await stack.newPage();
    ok(await inPage(page, async () => {
      await anshin.register({ username: 'abort@example.com' });
      anshin.signOut();
    }));
    // nobody touches the authenticator: the conditional request stays pending
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    const aborted = await inPage(page, async () => {
      const ctl = new AbortController();
      const p = anshin.signIn({ mediation: 'conditional', signal: ctl.signal });
      setTimeout(() => ctl.abort(), 300);
      return p;
    });
    assert.equal(aborted.error?.name, 'WebAuthnError');
    assert.equal(aborted.error.code, 'aborted');

    ok(await inPage(page, async () => {
      const get = navigator.credentials.get.bind(navigator.credentials);
      navigator.credentials.get = (o) => {
        window.conditionalAsked = o.mediation === 'conditional';
        return get(o);
      };
      window.pendingAutofill = anshin.signIn({ mediation: 'conditional' }).then(
        (v) => ({ value: v }),
        (e) => ({ error: { name: e.name, code: e.code } }),
      );
    }));
    // the autofill request is with the browser (and unanswered) before anyone can answer it
    await page.waitForFunction(() => window.conditionalAsked === true);
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    const v = ok(await inPage(page, async () => {
      const modal = await anshin.signIn({ username: 'abort@example.com' });
      return { modal, autofill: await window.pendingAutofill };
    }));
    assert.equal(v.modal.user_verified, true);
    assert.deepEqual(v.autofill, { error: { name: 'WebAuthnError', code: 'aborted' } });
    await context.close();
  });
});

describe('passkey management and step-up', () => {
  test('list, rename and delete a passkey', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      const reg = await anshin.register({ username: 'manage@example.com' });
      const before = await anshin.listPasskeys();
      const renamed = await anshin.renamePasskey(reg.credential.id, 'Work laptop');
      const listed = await anshin.listPasskeys();
      await anshin.deletePasskey(reg.credential.id);
      const afterDelete = await anshin.listPasskeys();
      let again;
      try {
        await anshin.deletePasskey(reg.credential.id);
      } catch (e) {
        again = { name: e.name, status: e.status, code: e.code };
      }
      return { reg, before, renamed, listed, afterDelete, again };
    }));
    assert.deepEqual(v.before.map((c) => c.id), [v.reg.credential.id]);
    assert.equal(v.before[0].nickname, null);
    assert.equal(v.renamed.nickname, 'Work laptop');
    assert.equal(v.listed[0].nickname, 'Work laptop');
    assert.deepEqual(v.afterDelete, []);
    assert.deepEqual(v.again, { name: 'AnshinError', status: 404, code: 'not_found' });
    await context.close();
  });

  test('step-up raises the session and returns a new token', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      await anshin.register({ username: 'stepup@example.com' });
      anshin.signOut();
      const s = await anshin.signIn({ username: 'stepup@example.com' });
      const up = await anshin.stepUp({ action: 'change_phone' });
      return { s, up, token: anshin.token };
    }));
    assert.equal(v.up.session.session_id, v.s.session.session_id);
    assert.notEqual(v.up.session.token, v.s.session.token);
    assert.equal(v.token, v.up.session.token);
    assert.ok(['phr', 'phrh'].includes(v.up.acr));
    assert.ok(v.up.auth_time >= Math.floor(Date.now() / 1000) - 600);
    await context.close();
  });

  test('an RFC 9470 challenge from a backend turns into a step-up and a retry', async () => {
    const { page, cdp, authenticatorId, context } = await stack.newPage();
    ok(await inPage(page, async () => {
      await anshin.register({ username: 'rfc9470@example.com' });
      anshin.signOut();
    }));
    // sign in without user verification: the session is below `phr`
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    const low = ok(await inPage(page, () => anshin.signIn({ username: 'rfc9470@example.com', userVerification: 'discouraged' })));
    assert.equal(low.user_verified, false);
    assert.ok(!['phr', 'phrh'].includes(low.acr), `acr ${low.acr}`);
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    const v = ok(await inPage(page, async () => {
      const seen = [];
      const res = await anshin.fetch('/backend/sensitive', { method: 'POST', body: '{}' }, {
        action: 'change_phone',
        confirm: (c) => {
          seen.push(c);
          return true;
        },
      });
      return { status: res.status, body: await res.json(), seen };
    }));
    assert.equal(v.seen.length, 1);
    assert.deepEqual(v.seen[0].acrValues, ['phr']);
    assert.equal(v.seen[0].maxAge, 300);
    assert.equal(v.status, 200);
    assert.ok(['phr', 'phrh'].includes(v.body.acr));
    await context.close();
  });
});

describe('JSON forms', () => {
  test('the SDK conversion equals the browser native one, and the server accepts it', async () => {
    const { page, context } = await stack.newPage();
    const v = ok(await inPage(page, async () => {
      const client = new sdk.AnshinClient();
      const norm = (x) =>
        JSON.stringify(x, (k, val) => (val instanceof ArrayBuffer || ArrayBuffer.isView(val) ? sdk.toBase64url(val) : val));
      const sorted = (o) => JSON.stringify(o, Object.keys(JSON.parse(JSON.stringify(o))).sort());
      // creation options
      const start = await client.registrationOptions({ user: { name: 'json@example.com', display_name: 'J' } });
      const nativeC = PublicKeyCredential.parseCreationOptionsFromJSON(start.publicKey);
      const oursC = sdk.creationOptionsFromJSON(start.publicKey, { native: false });
      const cred = await navigator.credentials.create({ publicKey: oursC });
      const nativeJ = cred.toJSON();
      const oursJ = sdk.credentialToJSON(cred, { native: false });
      const reg = await client.registrationVerify({ ceremony_id: start.ceremony_id, credential: oursJ });
      // request options, with allowCredentials
      client.signOut();
      const gs = await client.authenticationOptions({ username: 'json@example.com' });
      const nativeR = PublicKeyCredential.parseRequestOptionsFromJSON(gs.publicKey);
      const oursR = sdk.requestOptionsFromJSON(gs.publicKey, { native: false });
      const a = await navigator.credentials.get({ publicKey: oursR });
      const nativeA = a.toJSON();
      const oursA = sdk.credentialToJSON(a, { native: false });
      const signedIn = await client.authenticationVerify({ ceremony_id: gs.ceremony_id, credential: oursA });
      return {
        c: [norm(nativeC), norm(oursC)],
        r: [norm(nativeR), norm(oursR)],
        j: [nativeJ, oursJ],
        a: [nativeA, oursA],
        allow: gs.publicKey.allowCredentials?.length ?? 0,
        reg: reg.user_id,
        signedIn: signedIn.user_id,
      };
    }));
    // The browser's parser also fills in WebIDL dictionary defaults (empty lists,
    // enforceCredentialProtectionPolicy: false) that create()/get() apply anyway; drop them.
    const idlDefaults = (text) =>
      JSON.parse(text, (k, val) => {
        if (Array.isArray(val) && val.length === 0 && ['excludeCredentials', 'allowCredentials', 'hints'].includes(k)) return undefined;
        if (k === 'enforceCredentialProtectionPolicy' && val === false) return undefined;
        return val;
      });
    assert.deepEqual(idlDefaults(v.c[1]), idlDefaults(v.c[0]));
    assert.deepEqual(idlDefaults(v.r[1]), idlDefaults(v.r[0]));
    assert.ok(v.c[1].includes('"user":{'), 'the conversion produced user');
    assert.ok(v.allow >= 1);
    assert.deepEqual(v.j[1], v.j[0]);
    assert.deepEqual(v.a[1], v.a[0]);
    assert.equal(v.signedIn, v.reg);
    await context.close();
  });
});

/** The code the development SMS sender wrote to the sms_outbox table (undefined if none could be read). */
function lastSmsCode(dbPath, phone) {
  let out;
  try {
    out = execFileSync('sqlite3', [dbPath, `SELECT body FROM sms_outbox WHERE phone = '${phone}' ORDER BY id DESC LIMIT 1`], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  return /\b(\d{6})\b/.exec(out)?.[1];
}

describe('fallback', () => {
  test('SMS fallback for an account without a passkey, then the passkey nudge', async () => {
    const phone = '+447700900123';
    const created = await fetch(`${stack.anshinBase}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sms@example.com', display_name: 'Sms', phone }),
    });
    assert.equal(created.status < 300, true, `create user: ${created.status} ${await created.clone().text()}`);
    const { page, context } = await stack.newPage();
    const first = ok(await inPage(page, async () => {
      const options = await anshin.fallbackOptions('sms@example.com');
      const sent = await anshin.sendSmsCode('sms@example.com');
      let wrong;
      try {
        await anshin.verifySmsCode(sent.otp_id, '000000x');
      } catch (e) {
        wrong = { name: e.name, status: e.status, code: e.code };
      }
      return { options, sent, wrong };
    }));
    assert.ok(first.options.allowed_methods.includes('sms'), JSON.stringify(first.options));
    assert.ok(!first.options.allowed_methods.includes('passkey'));
    assert.match(first.sent.otp_id, /.+/);
    assert.equal(first.wrong?.name, 'AnshinError');
    assert.ok(first.wrong.status >= 400 && first.wrong.status < 500);
    // The test command installs the sqlite3 CLI; without it (or without a code) this fails.
    const code = lastSmsCode(stack.dbPath, phone);
    assert.ok(code, 'a six-digit code in the development SMS outbox (read with the sqlite3 CLI)');
    const second = ok(await inPage(page, async ([otp, code]) => {
      const signedIn = await anshin.verifySmsCode(otp, code);
      const enrolled = signedIn.enroll_passkey ? await anshin.enrollPasskey({ nickname: 'After SMS' }) : null;
      const passkeys = await anshin.listPasskeys();
      const after = await anshin.fallbackOptions('sms@example.com');
      return { signedIn, enrolled, passkeys, after };
    }, [first.sent.otp_id, code]));
    assert.equal(second.signedIn.acr, 'urn:anshin:acr:sms');
    assert.equal(second.signedIn.enroll_passkey, true);
    assert.equal(second.enrolled.user_id, second.signedIn.user_id);
    assert.deepEqual(second.passkeys.map((p) => p.nickname), ['After SMS']);
    assert.ok(!second.after.allowed_methods.includes('sms'), JSON.stringify(second.after));
    await context.close();
  });
});
