// The demo page: sign up, sign in (autofill, with or without a username), manage passkeys,
// a step-up for a sensitive action, and the SMS fallback with the passkey nudge, all through
// @anshin/browser. Data from the server is put into the page as text, never as markup.
import { Anshin, WebAuthnError, AnshinError, isWebAuthnSupported, isConditionalMediationAvailable } from '/assets/sdk/index.js';

const anshin = new Anshin();
const $ = (id) => document.getElementById(id);
const state = { config: null, user: null, acr: null, amr: [], authTime: null, autofill: null };
window.anshinDemo = { anshin, state };

// ---- messages ----

function say(text, kind = 'info') {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
  el.hidden = !text;
}

function explain(e) {
  if (e instanceof WebAuthnError || e instanceof AnshinError) return e.message;
  return `Something went wrong: ${e && e.message ? e.message : e}`;
}

async function act(button, work) {
  const buttons = button ? [button] : [];
  buttons.forEach((b) => (b.disabled = true));
  try {
    await work();
  } catch (e) {
    // a ceremony replaced by another one (autofill when a button is used) is not news
    if (!(e instanceof WebAuthnError && e.code === 'aborted')) say(explain(e), 'error');
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---- time ----

const fmtDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

function ago(seconds) {
  const d = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return fmtDate.format(new Date(seconds * 1000));
}

const ACR_NAMES = {
  phrh: 'Phishing-resistant, hardware-bound',
  phr: 'Phishing-resistant',
  'urn:anshin:acr:mfa': 'Multi-factor',
  'urn:anshin:acr:sms': 'SMS code',
};

function badge(text, kind = '') {
  const b = document.createElement('span');
  b.className = `badge ${kind}`;
  b.textContent = text;
  return b;
}

// ---- views ----

/** The session token's claims (acr, amr, auth_time...): what the server says this session is. */
function claims() {
  const part = (anshin.token || '').split('.')[1];
  if (!part) return {};
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4);
  return JSON.parse(atob(b64));
}

function readSession() {
  const c = claims();
  state.acr = c.acr;
  state.amr = c.amr || [];
  state.authTime = c.auth_time;
}

async function showSignedIn({ nudge = false } = {}) {
  readSession();
  state.user = await anshin.client.getUser();
  $('who').textContent = state.user.display_name || state.user.name;
  renderSession();
  $('nudge').hidden = !nudge;
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('phone').value = state.user.phone || '';
  await renderPasskeys();
}

function renderSession() {
  const badges = $('session-badges');
  badges.replaceChildren(
    badge(ACR_NAMES[state.acr] || state.acr, state.acr === 'urn:anshin:acr:sms' ? 'warn' : 'good'),
    ...state.amr.map((m) => badge(m)),
  );
  $('session-info').textContent = `Signed in as ${state.user.name} · verified ${ago(state.authTime)}`;
}

function showSignedOut() {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  startAutofill();
}

function storage(p) {
  if (!p.backup_eligible) return badge('This device only');
  return p.backup_state ? badge('Synced', 'good') : badge('Can sync, not backed up yet', 'warn');
}

async function renderPasskeys() {
  const list = $('passkeys');
  const passkeys = await anshin.listPasskeys();
  list.replaceChildren();
  if (passkeys.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No passkey yet. Add one to sign in without codes.';
    list.append(li);
    return;
  }
  for (const p of passkeys) {
    const li = document.createElement('li');
    li.dataset.id = p.id;
    const provider = p.authenticator || 'Passkey';
    const icon = document.createElement('div');
    icon.className = 'icon';
    icon.textContent = provider.slice(0, 1).toUpperCase();
    const body = document.createElement('div');
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = p.nickname && p.authenticator ? `${p.nickname} · ${p.authenticator}` : p.nickname || provider;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = `Created ${fmtDate.format(new Date(p.created_at * 1000))} · ${p.last_used_at ? `last used ${ago(p.last_used_at)}` : 'never used to sign in'}`;
    const tags = document.createElement('div');
    tags.className = 'steps';
    tags.append(storage(p));
    if (p.attestation && p.attestation.trusted) tags.append(badge('Attested', 'brand'));
    body.append(name, meta, tags);
    const actions = document.createElement('div');
    actions.className = 'actions';
    const rename = document.createElement('button');
    rename.type = 'button';
    rename.textContent = 'Rename';
    rename.addEventListener('click', () => startRename(li, p, body));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'danger';
    del.textContent = 'Delete';
    del.addEventListener('click', () => {
      if (del.dataset.confirm !== 'yes') {
        del.dataset.confirm = 'yes';
        del.textContent = 'Really delete?';
        return;
      }
      act(del, async () => {
        await anshin.deletePasskey(p.id);
        say(`Deleted the passkey "${p.nickname || provider}". Remove it from your password manager too.`, 'ok');
        await renderPasskeys();
      });
    });
    actions.append(rename, del);
    li.append(icon, body, actions);
    list.append(li);
  }
}

function startRename(li, p, body) {
  const form = document.createElement('form');
  form.className = 'inline';
  const input = document.createElement('input');
  input.value = p.nickname || '';
  input.placeholder = 'A name, like "Work laptop"';
  input.setAttribute('aria-label', 'Passkey name');
  input.maxLength = 64;
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  form.append(input, save);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(save, async () => {
      await anshin.renamePasskey(p.id, input.value.trim() || null);
      say('Renamed.', 'ok');
      await renderPasskeys();
    });
  });
  body.replaceChildren(form);
  input.focus();
}

// ---- autofill ----

async function startAutofill() {
  if (!(await isConditionalMediationAvailable())) return;
  const ctl = new AbortController();
  state.autofill = ctl;
  try {
    const s = await anshin.signIn({ mediation: 'conditional', signal: ctl.signal });
    say('Signed in with a passkey from autofill.', 'ok');
    await showSignedIn();
  } catch (e) {
    // Autofill that ends without a choice (no passkey here, or another path taken) is quiet.
    if (!(e instanceof WebAuthnError && ['aborted', 'cancelled', 'not_allowed'].includes(e.code))) say(explain(e), 'error');
  } finally {
    if (state.autofill === ctl) state.autofill = null;
  }
}

// ---- actions ----

$('signup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('signup-button'), async () => {
    const username = $('signup-username').value.trim();
    const r = await anshin.register({ username, displayName: $('signup-display').value.trim() || username });
    say('Account created. Your passkey signs you in from now on.', 'ok');
    await showSignedIn();
  });
});

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('signin-button'), async () => {
    const username = $('signin-username').value.trim();
    const s = await anshin.signIn(username ? { username } : {});
    state.risk = s.risk;
    const stepUp = s.risk && s.risk.action === 'step_up';
    say(stepUp ? 'Signed in. Something about this sign-in was unusual, so sensitive actions will ask you to verify again.' : 'Signed in with a passkey.', stepUp ? 'info' : 'ok');
    await showSignedIn();
  });
});

$('signout').addEventListener('click', () => {
  anshin.signOut();
  state.user = null;
  say('Signed out.', 'info');
  showSignedOut();
});

$('add-passkey').addEventListener('click', (ev) => {
  act(ev.currentTarget, async () => {
    await anshin.register({});
    say('Passkey added.', 'ok');
    await renderPasskeys();
  });
});

$('nudge-accept').addEventListener('click', (ev) => {
  act(ev.currentTarget, async () => {
    await anshin.enrollPasskey({});
    $('nudge').hidden = true;
    say('Passkey created: next time, sign in without a code.', 'ok');
    await renderPasskeys();
  });
});
$('nudge-dismiss').addEventListener('click', () => ($('nudge').hidden = true));

$('phone-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('phone-save'), async () => {
    const phone = $('phone').value.trim() || null;
    let steppedUp = false;
    const res = await anshin.fetch('/demo/phone', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    }, {
      action: 'change_phone',
      confirm: () => {
        steppedUp = true;
        say('Changing the phone number needs a fresh verification: confirm with your passkey.', 'info');
        return true;
      },
    });
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      throw new Error(problem.detail || `the server answered ${res.status}`);
    }
    state.user = await res.json();
    readSession();
    renderSession();
    $('phone-result').textContent = steppedUp ? 'Saved after a step-up.' : 'Saved.';
    say(state.user.phone ? `Phone number set to ${state.user.phone}.` : 'Phone number removed.', 'ok');
  });
});

// ---- fallback ----

$('fallback-open').addEventListener('click', () => {
  state.autofill?.abort();
  $('fallback-card').hidden = false;
  $('fallback-username').value = $('signin-username').value;
  $('fallback-username').focus();
});
$('fallback-close').addEventListener('click', () => ($('fallback-card').hidden = true));

const METHOD_NAMES = {
  passkey: 'Your passkey',
  passkey_other_device: 'A passkey on your phone (scan a QR code)',
  sms: 'A code by SMS',
  recovery: 'Account recovery',
};

$('fallback-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('fallback-check'), async () => {
    const username = $('fallback-username').value.trim();
    const box = $('fallback-methods');
    box.replaceChildren();
    $('sms-step').hidden = true;
    const options = await anshin.fallbackOptions(username);
    box.replaceChildren(...options.allowed_methods.map((m) => badge(METHOD_NAMES[m] || m, m === 'sms' ? 'warn' : 'good')));
    if (options.allowed_methods.length === 0) box.append(badge('Nothing can be offered now'));
    $('sms-step').hidden = !options.allowed_methods.includes('sms');
    $('sms-form').hidden = true;
    if (!options.allowed_methods.includes('sms') && options.allowed_methods.some((m) => m.startsWith('passkey'))) {
      say('This account has a passkey: use it, even from another device, rather than a code.', 'info');
    }
  });
});

$('sms-send').addEventListener('click', (ev) => {
  act(ev.currentTarget, async () => {
    const sent = await anshin.sendSmsCode($('fallback-username').value.trim());
    state.otpId = sent.otp_id;
    $('sms-form').hidden = false;
    $('sms-code').focus();
    say('If the account has a phone number, a code is on its way.', 'info');
    await refreshInbox();
  });
});

$('sms-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('sms-verify'), async () => {
    const r = await anshin.verifySmsCode(state.otpId, $('sms-code').value.trim());
    $('fallback-card').hidden = true;
    say('Signed in with an SMS code.', 'ok');
    await showSignedIn({ nudge: r.enroll_passkey });
  });
});

$('legacy-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  act($('legacy-create'), async () => {
    const name = $('legacy-username').value.trim();
    const phone = $('legacy-phone').value.trim();
    const res = await fetch('/demo/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, phone }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.detail || `the server answered ${res.status}`);
    $('fallback-username').value = name;
    state.phone = phone;
    say(`Created ${name} with ${phone} and no passkey. Now ask for your options.`, 'ok');
    await refreshInbox();
  });
});

async function refreshInbox() {
  if (!state.config?.sandbox) return;
  const phone = state.phone || $('legacy-phone').value.trim();
  if (!phone) return;
  const res = await fetch(`/demo/inbox?phone=${encodeURIComponent(phone)}`);
  if (!res.ok) return;
  const { messages } = await res.json();
  const list = $('inbox');
  list.replaceChildren();
  if (messages.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'No messages.';
    list.append(li);
  }
  for (const m of messages) {
    const li = document.createElement('li');
    li.className = 'mono';
    li.textContent = m;
    list.append(li);
  }
}
$('legacy-phone').addEventListener('change', () => {
  state.phone = $('legacy-phone').value.trim();
  refreshInbox();
});

// ---- start ----

async function start() {
  const res = await fetch('/demo/config');
  state.config = res.ok ? await res.json() : { sandbox: false, step_up_max_age: 120 };
  $('sandbox-fallback').hidden = !state.config.sandbox;
  $('sensitive-card').hidden = !state.config.sandbox;
  $('max-age').textContent = `${Math.round(state.config.step_up_max_age / 60)} minutes`;
  if (!isWebAuthnSupported()) $('unsupported').hidden = false;
  showSignedOut();
  document.body.dataset.ready = 'true';
}

window.anshinDemo.showSignedIn = showSignedIn;
start();
