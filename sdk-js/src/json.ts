/**
 * WebAuthn Level 3 JSON forms: the browser's own `parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON` and `toJSON()` where present, an exact equivalent otherwise.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './types.js';

interface PKCStatic {
  parseCreationOptionsFromJSON?: (o: unknown) => PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON?: (o: unknown) => PublicKeyCredentialRequestOptions;
}

function pkc(): PKCStatic | undefined {
  return (globalThis as { PublicKeyCredential?: PKCStatic }).PublicKeyCredential;
}

/** `native: false` forces the SDK's own conversion (tests, or a browser whose native one is broken). */
export interface JsonOptions {
  native?: boolean;
}

function descriptors(list: PublicKeyCredentialDescriptorJSON[] | undefined): PublicKeyCredentialDescriptor[] | undefined {
  if (!list) return undefined;
  return list.map((d) => {
    const out: PublicKeyCredentialDescriptor = { type: d.type as PublicKeyCredentialType, id: fromBase64url(d.id) };
    if (d.transports) out.transports = d.transports as AuthenticatorTransport[];
    return out;
  });
}

function prfValues(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as { first?: string; second?: string };
  const r: Record<string, ArrayBuffer> = {};
  if (typeof o.first === 'string') r.first = fromBase64url(o.first);
  if (typeof o.second === 'string') r.second = fromBase64url(o.second);
  return r;
}

/** Extension inputs whose binary members travel as base64url (prf, largeBlob.write). */
function extensionsIn(ext: Record<string, unknown> | undefined): AuthenticationExtensionsClientInputs | undefined {
  if (!ext) return undefined;
  const out: Record<string, unknown> = { ...ext };
  const prf = ext.prf as { eval?: unknown; evalByCredential?: Record<string, unknown> } | undefined;
  if (prf && typeof prf === 'object') {
    const p: Record<string, unknown> = { ...prf };
    if (prf.eval) p.eval = prfValues(prf.eval);
    if (prf.evalByCredential) {
      const m: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(prf.evalByCredential)) m[k] = prfValues(v);
      p.evalByCredential = m;
    }
    out.prf = p;
  }
  const lb = ext.largeBlob as { write?: unknown } | undefined;
  if (lb && typeof lb === 'object' && typeof lb.write === 'string') out.largeBlob = { ...lb, write: fromBase64url(lb.write) };
  return out as AuthenticationExtensionsClientInputs;
}

function copyDefined<T extends object>(target: T, source: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) if (source[k] !== undefined) (target as Record<string, unknown>)[k] = source[k];
}

/** `PublicKeyCredentialCreationOptionsJSON` → options for `navigator.credentials.create()`. */
export function creationOptionsFromJSON(
  json: PublicKeyCredentialCreationOptionsJSON,
  opts: JsonOptions = {},
): PublicKeyCredentialCreationOptions {
  const P = pkc();
  if (opts.native !== false && P && typeof P.parseCreationOptionsFromJSON === 'function') {
    return P.parseCreationOptionsFromJSON(json);
  }
  const out = {
    rp: { ...json.rp },
    user: { ...json.user, id: fromBase64url(json.user.id) },
    challenge: fromBase64url(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams.map((p) => ({ ...p })),
  } as PublicKeyCredentialCreationOptions;
  copyDefined(out, json as unknown as Record<string, unknown>, ['timeout', 'hints', 'attestation', 'attestationFormats']);
  if (json.authenticatorSelection) out.authenticatorSelection = { ...json.authenticatorSelection } as AuthenticatorSelectionCriteria;
  const ex = descriptors(json.excludeCredentials);
  if (ex) out.excludeCredentials = ex;
  const ext = extensionsIn(json.extensions);
  if (ext) out.extensions = ext;
  return out;
}

/** `PublicKeyCredentialRequestOptionsJSON` → options for `navigator.credentials.get()`. */
export function requestOptionsFromJSON(
  json: PublicKeyCredentialRequestOptionsJSON,
  opts: JsonOptions = {},
): PublicKeyCredentialRequestOptions {
  const P = pkc();
  if (opts.native !== false && P && typeof P.parseRequestOptionsFromJSON === 'function') {
    return P.parseRequestOptionsFromJSON(json);
  }
  const out = { challenge: fromBase64url(json.challenge) } as PublicKeyCredentialRequestOptions;
  copyDefined(out, json as unknown as Record<string, unknown>, ['timeout', 'rpId', 'userVerification', 'hints']);
  const allow = descriptors(json.allowCredentials);
  if (allow) out.allowCredentials = allow;
  const ext = extensionsIn(json.extensions);
  if (ext) out.extensions = ext;
  return out;
}

/** Client extension outputs: binary members (prf results, largeBlob.blob) as base64url. */
function jsonify(v: unknown): unknown {
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return toBase64url(v as ArrayBuffer);
  if (Array.isArray(v)) return v.map(jsonify);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonify(x);
    return o;
  }
  return v;
}

/** The subset of `PublicKeyCredential` the conversion reads, so that it runs outside browsers. */
export interface CredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  response: object;
  getClientExtensionResults(): object;
  toJSON?: () => unknown;
}

function call<T>(obj: object, name: string): T | undefined {
  const f = (obj as Record<string, unknown>)[name];
  if (typeof f !== 'function') return undefined;
  try {
    return (f as () => T).call(obj);
  } catch {
    // getPublicKey() throws NotSupportedError-free null for unknown algorithms in some browsers
    return undefined;
  }
}

/**
 * A `PublicKeyCredential` → `RegistrationResponseJSON` / `AuthenticationResponseJSON`, as
 * `toJSON()` produces it.
 */
export function credentialToJSON(cred: CredentialLike, opts?: JsonOptions & { ceremony?: 'create' }): RegistrationResponseJSON;
export function credentialToJSON(cred: CredentialLike, opts?: JsonOptions & { ceremony?: 'get' }): AuthenticationResponseJSON;
export function credentialToJSON(
  cred: CredentialLike,
  opts: JsonOptions & { ceremony?: 'create' | 'get' } = {},
): RegistrationResponseJSON | AuthenticationResponseJSON {
  if (opts.native !== false && typeof cred.toJSON === 'function') {
    return cred.toJSON() as RegistrationResponseJSON | AuthenticationResponseJSON;
  }
  const r = cred.response as Record<string, unknown>;
  const base = {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? null,
    clientExtensionResults: jsonify(cred.getClientExtensionResults()) as Record<string, unknown>,
  };
  const isAttestation = opts.ceremony ? opts.ceremony === 'create' : r.attestationObject !== undefined;
  if (isAttestation) {
    const response: RegistrationResponseJSON['response'] = {
      clientDataJSON: toBase64url(r.clientDataJSON as ArrayBuffer),
      attestationObject: toBase64url(r.attestationObject as ArrayBuffer),
    };
    const authData = call<ArrayBuffer>(r, 'getAuthenticatorData');
    if (authData) response.authenticatorData = toBase64url(authData);
    const transports = call<string[]>(r, 'getTransports');
    if (transports) response.transports = transports;
    const pk = call<ArrayBuffer | null>(r, 'getPublicKey');
    if (pk) response.publicKey = toBase64url(pk);
    const alg = call<number>(r, 'getPublicKeyAlgorithm');
    if (typeof alg === 'number') response.publicKeyAlgorithm = alg;
    return { ...base, response };
  }
  const response: AuthenticationResponseJSON['response'] = {
    clientDataJSON: toBase64url(r.clientDataJSON as ArrayBuffer),
    authenticatorData: toBase64url(r.authenticatorData as ArrayBuffer),
    signature: toBase64url(r.signature as ArrayBuffer),
  };
  const uh = r.userHandle as ArrayBuffer | null | undefined;
  if (uh) response.userHandle = toBase64url(uh);
  return { ...base, response };
}
