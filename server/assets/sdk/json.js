/**
 * WebAuthn Level 3 JSON forms: the browser's own `parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON` and `toJSON()` where present, an exact equivalent otherwise.
 */
import { fromBase64url, toBase64url } from './base64url.js';
function pkc() {
    return globalThis.PublicKeyCredential;
}
function descriptors(list) {
    if (!list)
        return undefined;
    return list.map((d) => {
        const out = { type: d.type, id: fromBase64url(d.id) };
        if (d.transports)
            out.transports = d.transports;
        return out;
    });
}
function prfValues(v) {
    if (!v || typeof v !== 'object')
        return v;
    const o = v;
    const r = {};
    if (typeof o.first === 'string')
        r.first = fromBase64url(o.first);
    if (typeof o.second === 'string')
        r.second = fromBase64url(o.second);
    return r;
}
/** Extension inputs whose binary members travel as base64url (prf, largeBlob.write). */
function extensionsIn(ext) {
    if (!ext)
        return undefined;
    const out = { ...ext };
    const prf = ext.prf;
    if (prf && typeof prf === 'object') {
        const p = { ...prf };
        if (prf.eval)
            p.eval = prfValues(prf.eval);
        if (prf.evalByCredential) {
            const m = {};
            for (const [k, v] of Object.entries(prf.evalByCredential))
                m[k] = prfValues(v);
            p.evalByCredential = m;
        }
        out.prf = p;
    }
    const lb = ext.largeBlob;
    if (lb && typeof lb === 'object' && typeof lb.write === 'string')
        out.largeBlob = { ...lb, write: fromBase64url(lb.write) };
    return out;
}
function copyDefined(target, source, keys) {
    for (const k of keys)
        if (source[k] !== undefined)
            target[k] = source[k];
}
/** `PublicKeyCredentialCreationOptionsJSON` → options for `navigator.credentials.create()`. */
export function creationOptionsFromJSON(json, opts = {}) {
    const P = pkc();
    if (opts.native !== false && P && typeof P.parseCreationOptionsFromJSON === 'function') {
        return P.parseCreationOptionsFromJSON(json);
    }
    const out = {
        rp: { ...json.rp },
        user: { ...json.user, id: fromBase64url(json.user.id) },
        challenge: fromBase64url(json.challenge),
        pubKeyCredParams: json.pubKeyCredParams.map((p) => ({ ...p })),
    };
    copyDefined(out, json, ['timeout', 'hints', 'attestation', 'attestationFormats']);
    if (json.authenticatorSelection)
        out.authenticatorSelection = { ...json.authenticatorSelection };
    const ex = descriptors(json.excludeCredentials);
    if (ex)
        out.excludeCredentials = ex;
    const ext = extensionsIn(json.extensions);
    if (ext)
        out.extensions = ext;
    return out;
}
/** `PublicKeyCredentialRequestOptionsJSON` → options for `navigator.credentials.get()`. */
export function requestOptionsFromJSON(json, opts = {}) {
    const P = pkc();
    if (opts.native !== false && P && typeof P.parseRequestOptionsFromJSON === 'function') {
        return P.parseRequestOptionsFromJSON(json);
    }
    const out = { challenge: fromBase64url(json.challenge) };
    copyDefined(out, json, ['timeout', 'rpId', 'userVerification', 'hints']);
    const allow = descriptors(json.allowCredentials);
    if (allow)
        out.allowCredentials = allow;
    const ext = extensionsIn(json.extensions);
    if (ext)
        out.extensions = ext;
    return out;
}
/** Client extension outputs: binary members (prf results, largeBlob.blob) as base64url. */
function jsonify(v) {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v))
        return toBase64url(v);
    if (Array.isArray(v))
        return v.map(jsonify);
    if (v && typeof v === 'object') {
        const o = {};
        for (const [k, x] of Object.entries(v))
            o[k] = jsonify(x);
        return o;
    }
    return v;
}
function call(obj, name) {
    const f = obj[name];
    if (typeof f !== 'function')
        return undefined;
    try {
        return f.call(obj);
    }
    catch {
        // getPublicKey() throws NotSupportedError-free null for unknown algorithms in some browsers
        return undefined;
    }
}
export function credentialToJSON(cred, opts = {}) {
    if (opts.native !== false && typeof cred.toJSON === 'function') {
        return cred.toJSON();
    }
    const r = cred.response;
    const base = {
        id: cred.id,
        rawId: toBase64url(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment ?? null,
        clientExtensionResults: jsonify(cred.getClientExtensionResults()),
    };
    const isAttestation = opts.ceremony ? opts.ceremony === 'create' : r.attestationObject !== undefined;
    if (isAttestation) {
        const response = {
            clientDataJSON: toBase64url(r.clientDataJSON),
            attestationObject: toBase64url(r.attestationObject),
        };
        const authData = call(r, 'getAuthenticatorData');
        if (authData)
            response.authenticatorData = toBase64url(authData);
        const transports = call(r, 'getTransports');
        if (transports)
            response.transports = transports;
        const pk = call(r, 'getPublicKey');
        if (pk)
            response.publicKey = toBase64url(pk);
        const alg = call(r, 'getPublicKeyAlgorithm');
        if (typeof alg === 'number')
            response.publicKeyAlgorithm = alg;
        return { ...base, response };
    }
    const response = {
        clientDataJSON: toBase64url(r.clientDataJSON),
        authenticatorData: toBase64url(r.authenticatorData),
        signature: toBase64url(r.signature),
    };
    const uh = r.userHandle;
    if (uh)
        response.userHandle = toBase64url(uh);
    return { ...base, response };
}
