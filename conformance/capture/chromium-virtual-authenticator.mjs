// Records real WebAuthn registrations and assertions from Chromium's virtual authenticator
// (CDP `WebAuthn` domain, driven with playwright-core) and writes them as anshin test vectors
// (schema: conformance/vectors/README.md).
//
//   node chromium-virtual-authenticator.mjs [OUT.json]
//
// Environment: CHROMIUM (default /usr/bin/chromium), PORT (default 8765; the origin is
// http://localhost:PORT — an IP literal is not a valid RP ID).
// Needs only `playwright-core` from npm; it never downloads a browser.
//
// Every challenge and user handle is fixed (derived from a label with SHA-256), so re-running
// yields the same inputs; keys, credential ids and signatures are new on each run.

import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const PLAYWRIGHT_VERSION = require('playwright-core/package.json').version;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PORT = Number(process.env.PORT ?? 8765);
const ORIGIN = `http://localhost:${PORT}`;
const RP_ID = 'localhost';
const OUT = process.argv[2] ?? 'chromium.json';
const SCRIPT_PATH = 'conformance/capture/chromium-virtual-authenticator.mjs';

// ---------------------------------------------------------------------------------------------
// Small helpers: base64url, SHA-256, a minimal CBOR decoder (enough for WebAuthn structures).

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const fromB64u = (s) => Buffer.from(s, 'base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();
const label32 = (label) => sha256(Buffer.from(`anshin chromium vector: ${label}`));

function cborDecode(buf, offset = 0) {
  const initial = buf[offset];
  const major = initial >> 5;
  const info = initial & 0x1f;
  let pos = offset + 1;
  let arg;
  if (info < 24) arg = info;
  else if (info === 24) { arg = buf[pos]; pos += 1; }
  else if (info === 25) { arg = buf.readUInt16BE(pos); pos += 2; }
  else if (info === 26) { arg = buf.readUInt32BE(pos); pos += 4; }
  else if (info === 27) { arg = Number(buf.readBigUInt64BE(pos)); pos += 8; }
  else throw new Error(`unsupported CBOR additional info ${info} at ${offset}`);
  switch (major) {
    case 0: return { value: arg, end: pos };
    case 1: return { value: -1 - arg, end: pos };
    case 2: return { value: buf.subarray(pos, pos + arg), end: pos + arg };
    case 3: return { value: buf.subarray(pos, pos + arg).toString('utf8'), end: pos + arg };
    case 4: {
      const items = [];
      for (let i = 0; i < arg; i++) { const r = cborDecode(buf, pos); items.push(r.value); pos = r.end; }
      return { value: items, end: pos };
    }
    case 5: {
      const map = new Map();
      for (let i = 0; i < arg; i++) {
        const k = cborDecode(buf, pos); const v = cborDecode(buf, k.end);
        map.set(k.value, v.value); pos = v.end;
      }
      return { value: map, end: pos };
    }
    case 7:
      if (arg === 20) return { value: false, end: pos };
      if (arg === 21) return { value: true, end: pos };
      if (arg === 22) return { value: null, end: pos };
      throw new Error(`unsupported CBOR simple value ${arg}`);
    default: throw new Error(`unsupported CBOR major type ${major}`);
  }
}

function parseAuthData(authData) {
  const flagsByte = authData[32];
  const flags = {
    UP: !!(flagsByte & 0x01), UV: !!(flagsByte & 0x04), BE: !!(flagsByte & 0x08),
    BS: !!(flagsByte & 0x10), AT: !!(flagsByte & 0x40), ED: !!(flagsByte & 0x80),
  };
  const out = {
    rpIdHash: authData.subarray(0, 32), flagsByte, flags, signCount: authData.readUInt32BE(33),
  };
  let pos = 37;
  if (flags.AT) {
    const aaguid = authData.subarray(pos, pos + 16).toString('hex');
    out.aaguid = [aaguid.slice(0, 8), aaguid.slice(8, 12), aaguid.slice(12, 16), aaguid.slice(16, 20), aaguid.slice(20)].join('-');
    const idLen = authData.readUInt16BE(pos + 16);
    out.credentialId = authData.subarray(pos + 18, pos + 18 + idLen);
    const key = cborDecode(authData, pos + 18 + idLen);
    out.coseKeyBytes = authData.subarray(pos + 18 + idLen, key.end);
    out.coseKey = key.value;
    pos = key.end;
  }
  if (flags.ED) { pos = cborDecode(authData, pos).end; }
  if (pos !== authData.length) throw new Error(`authData has ${authData.length - pos} trailing bytes`);
  return out;
}

const ALG_NAMES = { '-7': 'ES256', '-8': 'EdDSA', '-257': 'RS256' };
const KTY_NAMES = { 1: 'OKP', 2: 'EC2', 3: 'RSA' };

/// COSE_Key (as a Map) to a Node KeyObject, with the verify() algorithm name for it.
function coseToKey(cose) {
  const kty = cose.get(1);
  const alg = cose.get(3);
  if (kty === 2 && cose.get(-1) === 1) {
    return { alg, hash: 'sha256', key: createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: b64u(cose.get(-2)), y: b64u(cose.get(-3)) } }) };
  }
  if (kty === 1 && cose.get(-1) === 6) {
    return { alg, hash: null, key: createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: b64u(cose.get(-2)) } }) };
  }
  if (kty === 3) {
    return { alg, hash: 'sha256', key: createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: b64u(cose.get(-1)), e: b64u(cose.get(-2)) } }) };
  }
  throw new Error(`unsupported COSE key kty ${kty}`);
}

function coseSummary(cose) {
  const s = { kty: KTY_NAMES[cose.get(1)] ?? cose.get(1), alg: cose.get(3), alg_name: ALG_NAMES[cose.get(3)] ?? String(cose.get(3)) };
  if (cose.get(1) !== 3) s.crv = cose.get(-1);
  else s.modulus_bits = cose.get(-1).length * 8;
  return s;
}

const isoDate = (text) => new Date(text).toISOString().replace('.000Z', '+00:00');

function certSummary(der) {
  const c = new X509Certificate(der);
  const rdn = (s) => s.split('\n').reverse().join(',');
  return {
    subject: rdn(c.subject), issuer: rdn(c.issuer), serial: c.serialNumber,
    not_before: isoDate(c.validFrom), not_after: isoDate(c.validTo),
    self_signed: c.checkIssued(c) && c.verify(c.publicKey),
    sha256: sha256(der).toString('hex'),
  };
}

// ---------------------------------------------------------------------------------------------
// The page: calls navigator.credentials.create()/get() with options given as JSON and returns
// credential.toJSON(), or the error's name and message.

const PAGE = `<!doctype html><meta charset="utf-8"><title>anshin capture</title>
<script>
window.anshinCreate = async (json) => {
  try {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json);
    const c = await navigator.credentials.create({ publicKey });
    return { ok: true, credential: c.toJSON() };
  } catch (e) { return { ok: false, name: e.name, message: e.message }; }
};
window.anshinGet = async (json) => {
  try {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json);
    const c = await navigator.credentials.get({ publicKey });
    return { ok: true, credential: c.toJSON() };
  } catch (e) { return { ok: false, name: e.name, message: e.message }; }
};
</script><p>anshin WebAuthn capture page</p>`;

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
});
await new Promise((resolve) => server.listen(PORT, 'localhost', resolve));

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const BROWSER_VERSION = browser.version();
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`${ORIGIN}/`);
const cdp = await context.newCDPSession(page);
await cdp.send('WebAuthn.enable', { enableUI: false });
const capturedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const SOURCE = {
  browser: `Chromium ${BROWSER_VERSION}`,
  driver: `playwright-core ${PLAYWRIGHT_VERSION} over CDP WebAuthn`,
  script: SCRIPT_PATH,
  license: 'generated by anshin (Apache-2.0)',
};

async function addAuthenticator(options) {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
  return authenticatorId;
}

async function create(publicKey) {
  const r = await page.evaluate((json) => window.anshinCreate(json), publicKey);
  if (!r.ok) throw new Error(`create failed: ${r.name}: ${r.message}`);
  return r.credential;
}

async function get(publicKey) {
  const r = await page.evaluate((json) => window.anshinGet(json), publicKey);
  if (!r.ok) throw new Error(`get failed: ${r.name}: ${r.message}`);
  return r.credential;
}

// ---------------------------------------------------------------------------------------------
// Record builders. Each checks what it can (challenge, origin, type, rpIdHash, signatures) and
// stores the result in `capture_check`; any failed check aborts the capture.

function clientData(cred) {
  return JSON.parse(fromB64u(cred.response.clientDataJSON).toString('utf8'));
}

function must(cond, what) {
  if (!cond) throw new Error(`capture check failed: ${what}`);
  return true;
}

function registrationRecord({ id, description, authenticator, publicKey, cred, requireUv, attestationType, notes }) {
  const cd = clientData(cred);
  const clientDataJSON = fromB64u(cred.response.clientDataJSON);
  const att = cborDecode(fromB64u(cred.response.attestationObject)).value;
  const fmt = att.get('fmt');
  const attStmt = att.get('attStmt');
  const authData = att.get('authData');
  const ad = parseAuthData(authData);
  const key = coseToKey(ad.coseKey);
  const check = {
    type_ok: must(cd.type === 'webauthn.create', 'type'),
    challenge_ok: must(cd.challenge === publicKey.challenge, 'challenge'),
    origin_ok: must(cd.origin === ORIGIN, 'origin'),
    rp_id_hash_ok: must(ad.rpIdHash.equals(sha256(Buffer.from(RP_ID))), 'rpIdHash'),
    up: ad.flags.UP,
    uv: ad.flags.UV,
    credential_id_matches_rawId: must(b64u(ad.credentialId) === cred.rawId && cred.id === cred.rawId, 'credential id'),
  };
  // response.publicKey (SPKI, from toJSON) must be the attested COSE key.
  check.spki_matches_cose_key = must(
    fromB64u(cred.response.publicKey).equals(key.key.export({ type: 'spki', format: 'der' })) &&
      cred.response.publicKeyAlgorithm === ad.coseKey.get(3),
    'response.publicKey matches the attested COSE key');
  const derived = {
    client_data: cd,
    fmt,
    att_stmt_keys: [...attStmt.keys()],
  };
  if (attStmt.has('alg')) derived.att_stmt_alg = attStmt.get('alg');
  const clientDataHash = sha256(clientDataJSON);
  if (fmt === 'packed' || fmt === 'fido-u2f') {
    const x5c = attStmt.get('x5c');
    derived.x5c = x5c.map(certSummary);
    const certKey = new X509Certificate(x5c[0]).publicKey;
    let signed;
    if (fmt === 'packed') {
      signed = Buffer.concat([authData, clientDataHash]);
    } else {
      must(ad.coseKey.get(1) === 2 && ad.coseKey.get(3) === -7, 'fido-u2f credential key is ES256');
      signed = Buffer.concat([Buffer.from([0]), ad.rpIdHash, clientDataHash, ad.credentialId,
        Buffer.from([4]), ad.coseKey.get(-2), ad.coseKey.get(-3)]);
    }
    check.attestation_signature = must(verify('sha256', signed, certKey, attStmt.get('sig')), 'attestation signature') ? 'verified' : 'failed';
  } else {
    must(fmt === 'none' && attStmt.size === 0, 'none attStmt is empty');
    check.attestation_signature = 'none';
  }
  Object.assign(derived, {
    flags: ad.flags,
    sign_count: ad.signCount,
    rp_id_hash: ad.rpIdHash.toString('hex'),
    aaguid: ad.aaguid,
    credential_id: b64u(ad.credentialId),
    credential_public_key_cose: b64u(ad.coseKeyBytes),
    credential_public_key: coseSummary(ad.coseKey),
  });
  const asserted = {
    credential_id: b64u(ad.credentialId),
    fmt,
    aaguid: ad.aaguid,
    sign_count: ad.signCount,
    credential_public_key_cose: b64u(ad.coseKeyBytes),
    user_verified: ad.flags.UV,
    backup_eligible: ad.flags.BE,
    credential_backed_up: ad.flags.BS,
  };
  if (attestationType) asserted.attestation_type = attestationType;
  const options = { require_user_verification: requireUv, require_user_presence: true };
  options.allowed_algorithms = publicKey.pubKeyCredParams.map((p) => ALG_NAMES[p.alg]);
  if (derived.x5c) options.verification_time = capturedAt;
  const record = {
    id,
    source: SOURCE,
    ceremony: 'registration',
    description,
    inputs: {
      rp_id: RP_ID,
      expected_origins: [ORIGIN],
      expected_challenge: publicKey.challenge,
      response: cred,
    },
    options,
    expected: { outcome: 'accept', outcome_basis: 'source', asserted },
    notes,
    source_values: { virtual_authenticator: authenticator, public_key_options: publicKey, captured_at: capturedAt },
    derived,
    capture_check: check,
  };
  // What an assertion needs from this registration.
  record.stored = {
    id: b64u(ad.credentialId),
    public_key_cose: b64u(ad.coseKeyBytes),
    sign_count: ad.signCount,
    backup_eligible: ad.flags.BE,
    key,
    cose: ad.coseKey,
  };
  return record;
}

function authenticationRecord({ id, description, reg, storedCount, authenticator, publicKey, cred, requireUv, outcome, reason, overrideBits, notes, sameResponseAs }) {
  const cd = clientData(cred);
  const clientDataJSON = fromB64u(cred.response.clientDataJSON);
  const authData = fromB64u(cred.response.authenticatorData);
  const ad = parseAuthData(authData);
  const stored = reg.stored;
  const signatureOk = verify(stored.key.hash, Buffer.concat([authData, sha256(clientDataJSON)]), stored.key.key, fromB64u(cred.response.signature));
  const check = {
    type_ok: must(cd.type === 'webauthn.get', 'type'),
    challenge_ok: must(cd.challenge === publicKey.challenge, 'challenge'),
    origin_ok: must(cd.origin === ORIGIN, 'origin'),
    rp_id_hash_ok: must(ad.rpIdHash.equals(sha256(Buffer.from(RP_ID))), 'rpIdHash'),
    up: ad.flags.UP,
    uv: ad.flags.UV,
    credential_id_matches_stored: must(cred.rawId === stored.id && cred.id === stored.id, 'credential id'),
    assertion_signature: signatureOk ? 'verified' : 'failed',
    sign_count_increases: ad.signCount > storedCount,
  };
  if (!overrideBits?.isBogusSignature) must(signatureOk, 'assertion signature');
  else must(!signatureOk, 'bogus signature does not verify');
  const credential = {
    id: stored.id,
    public_key_cose: stored.public_key_cose,
    sign_count: storedCount,
    backup_eligible: stored.backup_eligible,
    registered_by: reg.id,
  };
  const expected = { outcome, outcome_basis: 'source' };
  if (reason) expected.reason = reason;
  if (outcome === 'accept') {
    expected.asserted = {
      credential_id: stored.id,
      new_sign_count: ad.signCount,
      user_verified: ad.flags.UV,
      backup_eligible: ad.flags.BE,
      credential_backed_up: ad.flags.BS,
    };
  }
  const record = {
    id,
    source: SOURCE,
    ceremony: 'authentication',
    description,
    inputs: {
      rp_id: RP_ID,
      expected_origins: [ORIGIN],
      expected_challenge: publicKey.challenge,
      response: cred,
      credential,
    },
    options: { require_user_verification: requireUv, require_user_presence: true },
    expected,
    notes,
  };
  if (sameResponseAs) record.same_response_as = sameResponseAs;
  const sv = { virtual_authenticator: authenticator, public_key_options: publicKey, captured_at: capturedAt };
  if (overrideBits) sv.response_override_bits = overrideBits;
  record.source_values = sv;
  record.derived = {
    client_data: cd,
    flags: ad.flags,
    sign_count: ad.signCount,
    rp_id_hash: ad.rpIdHash.toString('hex'),
    user_handle: cred.response.userHandle ?? null,
    credential_public_key: coseSummary(stored.cose),
  };
  record.capture_check = check;
  return { record, signCount: ad.signCount };
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

const RP = { id: RP_ID, name: 'anshin vectors' };
const TIMEOUT = 20000;

function user(n) {
  return { id: b64u(label32(`user ${n}`).subarray(0, 16)), name: `user${n}@anshin.test`, displayName: `Anshin User ${n}` };
}

function creationOptions(label, { algs, attestation, userVerification, residentKey, attachment, extensions, n }) {
  const o = {
    rp: RP,
    user: user(n),
    challenge: b64u(label32(label)),
    pubKeyCredParams: algs.map((alg) => ({ type: 'public-key', alg })),
    timeout: TIMEOUT,
    attestation,
    authenticatorSelection: { residentKey: residentKey ?? 'discouraged', userVerification },
  };
  if (attachment) o.authenticatorSelection.authenticatorAttachment = attachment;
  if (extensions) o.extensions = extensions;
  return o;
}

function requestOptions(label, { credId, transports, userVerification }) {
  const o = { challenge: b64u(label32(label)), timeout: TIMEOUT, rpId: RP_ID, userVerification };
  o.allowCredentials = credId ? [{ type: 'public-key', id: credId, transports }] : [];
  return o;
}

const CTAP2_USB = {
  protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'usb', hasResidentKey: true,
  hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
};

const records = [];

/// Registers on a fresh authenticator, then runs `assertions` (each {id, description, uv, requireUv}).
async function scenario({ n, authenticator, reg, assertions, discoverable }) {
  const authenticatorId = await addAuthenticator(authenticator);
  const publicKey = creationOptions(reg.id, { ...reg, n });
  const cred = await create(publicKey);
  const regRecord = registrationRecord({ ...reg, authenticator, publicKey, cred });
  records.push(regRecord);
  let count = regRecord.stored.sign_count;
  for (const a of assertions) {
    const req = requestOptions(a.id, {
      credId: (a.discoverable ?? discoverable) ? null : regRecord.stored.id,
      transports: cred.response.transports,
      userVerification: a.userVerification,
    });
    if (a.overrideBits) await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, ...a.overrideBits });
    const got = await get(req);
    if (a.overrideBits) await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: false, isBadUV: false, isBadUP: false });
    const { record, signCount } = authenticationRecord({ ...a, reg: regRecord, storedCount: count, authenticator, publicKey: req, cred: got });
    records.push(record);
    for (const variant of a.variants ?? []) {
      const copy = structuredClone(record);
      Object.assign(copy, { id: variant.id, description: variant.description, notes: variant.notes });
      copy.options.require_user_verification = variant.requireUv;
      copy.expected = { outcome: variant.outcome, outcome_basis: 'source' };
      if (variant.outcome === 'accept') {
        copy.expected.asserted = {
          credential_id: regRecord.stored.id, new_sign_count: signCount, user_verified: record.derived.flags.UV,
          backup_eligible: record.derived.flags.BE, credential_backed_up: record.derived.flags.BS,
        };
      }
      copy.same_response_as = [record.id];
      record.same_response_as = [...(record.same_response_as ?? []), variant.id];
      records.push(copy);
    }
    // A rejected assertion is not stored by the RP, but the authenticator's counter moved on.
    if (a.outcome === 'accept') count = signCount;
  }
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
}

const COMMON = [
  `Captured from ${`Chromium ${BROWSER_VERSION}`}'s virtual authenticator (CDP WebAuthn domain) by ${SCRIPT_PATH}; origin ${ORIGIN}, RP ID ${RP_ID}.`,
  'The challenge is SHA-256("anshin chromium vector: <record id>") and is recorded in source_values.public_key_options; the response is credential.toJSON() exactly as Chromium returned it.',
];

// 1. ctap2/usb, direct, [-7, -257, -8]: packed full attestation, self-signed "Batch Certificate".
await scenario({
  n: 1,
  authenticator: CTAP2_USB,
  reg: {
    id: 'chr-reg-packed-direct-es256',
    description: 'Chromium virtual CTAP2 USB authenticator, attestation "direct", pubKeyCredParams [-7, -257, -8]: packed full (Basic) attestation with ES256 credential',
    algs: [-7, -257, -8], attestation: 'direct', userVerification: 'required', requireUv: true,
    attestationType: 'Basic',
    notes: [...COMMON,
      'packed attestation {alg: -7, sig, x5c: [leaf]}: the leaf is Chromium\'s self-signed "Batch Certificate" (C=US, O=Chromium, OU=Authenticator Attestation, CN=Batch Certificate), signed with the U2F specification\'s example attestation key; it chains to no public root, so a trust-requiring policy must call it untrusted — here no trust anchors are given (any attestation accepted after signature and structure checks).',
      'x5c holds one self-signed certificate: a verifier must not reject it for "x5c contains the root"; the certificate is valid at options.verification_time (the capture time).',
      'The authenticator picks the first listed algorithm it supports: ES256. AAGUID 01020304-0506-0708-0102-030405060708 (Chromium virtual device).',
      'userVerification "required"; the virtual authenticator has UV enrolled and isUserVerified true, so flags are UP UV AT.'],
  },
  assertions: [
    { id: 'chr-auth-packed-direct-es256', description: 'Assertion with the ES256 credential of chr-reg-packed-direct-es256, UV required', userVerification: 'required', requireUv: true, outcome: 'accept',
      notes: [...COMMON, 'allowCredentials names the credential; stored sign_count is the registration\'s counter.'] },
    { id: 'chr-auth-packed-direct-es256-2', description: 'Second assertion with the same ES256 credential (counter moves on)', userVerification: 'required', requireUv: true, outcome: 'accept',
      notes: [...COMMON, 'Stored sign_count is the counter of chr-auth-packed-direct-es256 (what an RP stores after it).'] },
    // 7. Negatives made with setResponseOverrideBits on the same authenticator.
    { id: 'chr-auth-bad-uv-uv-required', description: 'Assertion whose UV flag Chromium cleared (setResponseOverrideBits isBadUV) although userVerification was "required"; the RP requires UV',
      userVerification: 'required', requireUv: true, outcome: 'reject',
      reason: 'user verification required, but the UV flag is not set in authenticatorData',
      overrideBits: { isBadUV: true },
      notes: [...COMMON, 'WebAuthn.setResponseOverrideBits {isBadUV: true} makes the virtual authenticator clear the UV bit of its response; Chromium still resolved navigator.credentials.get() under userVerification "required" (the browser does not check the flag), so the RP must (§7.2 step 17).',
        'The signature is valid over the UV-cleared authenticatorData: only the UV policy rejects it.',
        'Stored sign_count is the counter after chr-auth-packed-direct-es256-2.'],
      variants: [{ id: 'chr-auth-bad-uv-uv-preferred', requireUv: false, outcome: 'accept',
        description: 'The UV-cleared assertion of chr-auth-bad-uv-uv-required checked by an RP that does not require UV',
        notes: [...COMMON, 'Same response as chr-auth-bad-uv-uv-required, with require_user_verification false: the UV-cleared assertion is otherwise valid (UP set, good signature, counter increased), so it is accepted with user_verified false.'] }] },
    { id: 'chr-auth-bogus-signature', description: 'Assertion whose signature Chromium replaced (setResponseOverrideBits isBogusSignature)', userVerification: 'required', requireUv: true, outcome: 'reject',
      reason: 'assertion signature does not verify with the stored credential public key',
      overrideBits: { isBogusSignature: true },
      notes: [...COMMON, 'WebAuthn.setResponseOverrideBits {isBogusSignature: true} makes the virtual authenticator return a bogus signature; everything else (flags, counter, clientDataJSON) is genuine.',
        'Stored sign_count is the counter after chr-auth-packed-direct-es256-2 (the UV-cleared assertion before it is rejected under UV-required policy and not stored).'] },
  ],
});

// 2. Ed25519 credential.
await scenario({
  n: 2,
  authenticator: CTAP2_USB,
  reg: {
    id: 'chr-reg-packed-direct-eddsa',
    description: 'Chromium virtual CTAP2 USB authenticator, attestation "direct", pubKeyCredParams [-8, -7]: Ed25519 credential, packed attestation signed with ES256',
    algs: [-8, -7], attestation: 'direct', userVerification: 'preferred', requireUv: false,
    attestationType: 'Basic',
    notes: [...COMMON,
      'The credential key is Ed25519 (COSE kty OKP, crv 6, alg -8) but the attestation statement\'s alg is -7: the batch attestation key is always P-256. A verifier must take the attestation algorithm from attStmt.alg / the certificate, not from the credential key.',
      'Same self-signed "Batch Certificate" as chr-reg-packed-direct-es256.'],
  },
  assertions: [
    { id: 'chr-auth-packed-direct-eddsa', description: 'Assertion with the Ed25519 credential of chr-reg-packed-direct-eddsa', userVerification: 'preferred', requireUv: false, outcome: 'accept',
      notes: [...COMMON, 'EdDSA (Ed25519) signature over authenticatorData || SHA-256(clientDataJSON).'] },
    { id: 'chr-auth-packed-direct-eddsa-2', description: 'Second assertion with the same Ed25519 credential', userVerification: 'preferred', requireUv: false, outcome: 'accept',
      notes: [...COMMON, 'Stored sign_count is the counter of chr-auth-packed-direct-eddsa.'] },
  ],
});

// 3. RSA credential.
await scenario({
  n: 3,
  authenticator: CTAP2_USB,
  reg: {
    id: 'chr-reg-packed-direct-rs256',
    description: 'Chromium virtual CTAP2 USB authenticator, attestation "direct", pubKeyCredParams [-257]: RS256 credential, packed attestation signed with ES256',
    algs: [-257], attestation: 'direct', userVerification: 'preferred', requireUv: false,
    attestationType: 'Basic',
    notes: [...COMMON,
      'The credential key is RSA (COSE kty 3, alg -257, 2048-bit modulus); attStmt.alg is -7 (the batch attestation key is P-256).'],
  },
  assertions: [
    { id: 'chr-auth-packed-direct-rs256', description: 'Assertion with the RS256 credential of chr-reg-packed-direct-rs256', userVerification: 'preferred', requireUv: false, outcome: 'accept',
      notes: [...COMMON, 'RSASSA-PKCS1-v1_5 with SHA-256.'] },
  ],
});

// 4. attestation "none".
await scenario({
  n: 4,
  authenticator: CTAP2_USB,
  reg: {
    id: 'chr-reg-none-es256',
    description: 'Chromium virtual CTAP2 USB authenticator, attestation "none": Chromium strips the attestation (fmt none, zero AAGUID)',
    algs: [-7, -257], attestation: 'none', userVerification: 'discouraged', requireUv: false,
    attestationType: 'None',
    notes: [...COMMON,
      'For attestation "none" Chromium replaces the packed statement by {fmt: "none", attStmt: {}} and zeroes the AAGUID (cross-platform transport).',
      'userVerification was "discouraged", yet the registration has UV set (flags UP UV AT) while the assertion under "discouraged" has UP only: for makeCredential Chromium verifies the user on a CTAP 2.1 authenticator that has UV configured and does not advertise makeCredUvNotRqd (the virtual device does not). An RP must not infer the requested UV level from the flags.'],
  },
  assertions: [
    { id: 'chr-auth-none-es256', description: 'Assertion with the credential of chr-reg-none-es256, userVerification discouraged', userVerification: 'discouraged', requireUv: false, outcome: 'accept',
      notes: [...COMMON] },
  ],
});

// 5. Platform authenticator, discoverable credential, BE/BS.
const PLATFORM = {
  protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true,
  hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
  defaultBackupEligibility: true, defaultBackupState: true,
};
await scenario({
  n: 5,
  authenticator: PLATFORM,
  discoverable: true,
  reg: {
    id: 'chr-reg-platform-passkey-none',
    description: 'Chromium virtual platform (internal) authenticator, residentKey required, backup eligible and backed up, attestation "none": a synced passkey',
    algs: [-7, -257], attestation: 'none', userVerification: 'required', requireUv: true,
    residentKey: 'required', attachment: 'platform', extensions: { credProps: true },
    attestationType: 'None',
    notes: [...COMMON,
      'transport internal (platform authenticator), defaultBackupEligibility and defaultBackupState true: flags UP UV BE BS AT.',
      'For attestation "none" Chromium keeps the AAGUID on platform (internal) authenticators; it is the virtual device\'s 01020304-0506-0708-0102-030405060708.',
      'clientExtensionResults.credProps.rk is true (residentKey "required").'],
  },
  assertions: [
    { id: 'chr-auth-platform-passkey-discoverable', description: 'Discoverable (usernameless) assertion with the passkey of chr-reg-platform-passkey-none: empty allowCredentials, userHandle returned', userVerification: 'required', requireUv: true, outcome: 'accept',
      notes: [...COMMON, 'allowCredentials was empty: the RP learns the user from response.userHandle (the user.id given at registration, in source_values of the registration record).',
        'BE and BS are set; the stored credential is backup eligible.'] },
    { id: 'chr-auth-platform-passkey-discoverable-2', description: 'Second discoverable assertion with the same passkey', userVerification: 'required', requireUv: true, outcome: 'accept',
      notes: [...COMMON, 'Stored sign_count is the counter of chr-auth-platform-passkey-discoverable.'] },
  ],
});

// 6. U2F authenticator: fido-u2f attestation.
const U2F = { protocol: 'u2f', transport: 'usb', automaticPresenceSimulation: true };
await scenario({
  n: 6,
  authenticator: U2F,
  reg: {
    id: 'chr-reg-fido-u2f-direct',
    description: 'Chromium virtual U2F (CTAP1) USB authenticator, attestation "direct": fido-u2f attestation',
    algs: [-7], attestation: 'direct', userVerification: 'discouraged', requireUv: false,
    notes: [...COMMON,
      'fido-u2f attestation {sig, x5c: [leaf]} with the same self-signed "Batch Certificate" as the packed vectors; the AAGUID is zero (U2F has none) and the counter is 0.',
      'A U2F authenticator cannot verify the user: flags UP AT. attestation_type is not asserted (fido-u2f is Basic or AttCA, which the RP cannot tell apart).'],
  },
  assertions: [
    { id: 'chr-auth-fido-u2f', description: 'U2F assertion with the credential of chr-reg-fido-u2f-direct', userVerification: 'discouraged', requireUv: false, outcome: 'accept',
      notes: [...COMMON, 'U2F sign response translated by Chromium into an assertion; no userHandle.'] },
    { id: 'chr-auth-fido-u2f-2', description: 'Second U2F assertion with the same credential', userVerification: 'discouraged', requireUv: false, outcome: 'accept',
      notes: [...COMMON, 'Stored sign_count is the counter of chr-auth-fido-u2f.'] },
  ],
});

await browser.close();
server.close();

for (const r of records) delete r.stored;
writeFileSync(OUT, JSON.stringify(records, null, 2) + '\n');
console.log(`${SOURCE.browser}; ${SOURCE.driver}; captured ${capturedAt}`);
for (const r of records) {
  console.log(`${r.id}\t${r.ceremony}\t${r.expected.outcome}\t${r.derived.fmt ?? ''}\tsignCount ${r.derived.sign_count}\t${Object.entries(r.derived.flags).filter(([, v]) => v).map(([k]) => k).join(' ')}`);
}
console.log(`wrote ${records.length} records to ${OUT}`);
