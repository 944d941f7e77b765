/**
 * `@anshin/browser/client`: a typed client of the anshin HTTP API with no DOM dependency.
 * Works in browsers, Node (18+), Deno, Bun, React Native and workers: anything with `fetch`.
 *
 * A native app that gets WebAuthn JSON from the platform (Android Credential Manager, iOS
 * AuthenticationServices) passes that JSON to `authenticationVerify()` / `registrationVerify()`.
 */
import { AnshinError } from './errors.js';
export * from './types.js';
export { AnshinError } from './errors.js';
export { toBase64url, fromBase64url } from './base64url.js';
export { parseWwwAuthenticate, parseStepUpChallenge, fetchWithStepUp, } from './rfc9470.js';
/** The anshin HTTP API. */
export class AnshinClient {
    constructor(options = {}) {
        this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
        this.token = options.token;
        this.apiKey = options.apiKey;
        this.keepSession = options.keepSession ?? options.apiKey === undefined;
        const f = options.fetch ?? (typeof fetch === 'function' ? fetch : undefined);
        if (!f)
            throw new TypeError('anshin: no fetch available; pass one in the options');
        // Call through a closure: browsers throw "Illegal invocation" on an unbound window.fetch.
        this.fetchImpl = options.fetch ? options.fetch : (input, init) => f(input, init);
        this.extraHeaders = { ...(options.headers ?? {}) };
        if (options.deviceId)
            this.extraHeaders['x-anshin-device'] = options.deviceId;
        this.credentialsMode = options.credentials ?? 'same-origin';
    }
    /** Forget the session (client side only; revocation is a backend call). */
    signOut() {
        this.token = undefined;
        this.userId = undefined;
    }
    // ---- registration ----
    /** `POST /v1/registration/options`. */
    registrationOptions(body, opts) {
        return this.request('POST', '/v1/registration/options', body, opts);
    }
    /** `POST /v1/registration/verify`. A new account comes back signed in (`session`). */
    async registrationVerify(body, opts) {
        const r = await this.request('POST', '/v1/registration/verify', body, opts);
        this.remember(r.user_id, r.session);
        return r;
    }
    // ---- sign-in ----
    /** `POST /v1/authentication/options`: `{username}`, `{}` (usernameless) or `{mediation: 'conditional'}`. */
    authenticationOptions(body = {}, opts) {
        return this.request('POST', '/v1/authentication/options', body, opts);
    }
    /** `POST /v1/authentication/verify`. */
    async authenticationVerify(body, opts) {
        const r = await this.request('POST', '/v1/authentication/verify', body, opts);
        this.remember(r.user_id, r.session);
        return r;
    }
    // ---- step-up (needs a session) ----
    /** `POST /v1/step-up/options`. */
    stepUpOptions(body = {}, opts) {
        return this.request('POST', '/v1/step-up/options', body, opts);
    }
    /** `POST /v1/step-up/verify`: the same session at a higher level, with a new token. */
    async stepUpVerify(body, opts) {
        const r = await this.request('POST', '/v1/step-up/verify', body, opts);
        this.remember(this.userId, r.session);
        return r;
    }
    // ---- the account and its passkeys (session or API key) ----
    /** `GET /v1/users/{id}`: name, display name and phone number. `userId` defaults to the signed-in user. */
    getUser(userId, opts) {
        return this.request('GET', this.userPath(userId), undefined, opts);
    }
    /** `GET /v1/users/{id}/credentials`. `userId` defaults to the signed-in user. */
    async listCredentials(userId, opts) {
        const r = await this.request('GET', `${this.userPath(userId)}/credentials`, undefined, opts);
        return r.credentials;
    }
    /** `GET /v1/users/{id}/credentials/{cred}`. */
    async getCredential(credentialId, userId, opts) {
        return this.request('GET', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, undefined, opts);
    }
    /** `PATCH /v1/users/{id}/credentials/{cred}` `{nickname}` (null clears it). */
    async renameCredential(credentialId, nickname, userId, opts) {
        return this.request('PATCH', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, { nickname }, opts);
    }
    /** `DELETE /v1/users/{id}/credentials/{cred}`. */
    async deleteCredential(credentialId, userId, opts) {
        await this.request('DELETE', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, undefined, opts);
    }
    // ---- fallback ----
    /** `POST /v1/fallback/options`: what to offer when no passkey is at hand, passkey first. */
    fallbackOptions(body, opts) {
        return this.request('POST', '/v1/fallback/options', body, opts);
    }
    /** `POST /v1/fallback/sms/send`. The answer has the same shape for every user name. */
    smsSend(body, opts) {
        return this.request('POST', '/v1/fallback/sms/send', body, opts);
    }
    /** `POST /v1/fallback/sms/verify`: signs in at `urn:anshin:acr:sms`. */
    async smsVerify(body, opts) {
        const r = await this.request('POST', '/v1/fallback/sms/verify', body, opts);
        this.remember(r.user_id, r.session);
        return r;
    }
    // ---- plumbing ----
    /** Any call of the API: JSON in, JSON out, problem+json errors as {@link AnshinError}. */
    async request(method, path, body, opts = {}) {
        const headers = { accept: 'application/json, application/problem+json', ...this.extraHeaders };
        const bearer = opts.bearer ?? this.token ?? this.apiKey;
        if (bearer)
            headers.authorization = `Bearer ${bearer}`;
        const init = { method, headers, credentials: this.credentialsMode };
        if (body !== undefined) {
            headers['content-type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        if (opts.signal)
            init.signal = opts.signal;
        let res;
        try {
            res = await this.fetchImpl(this.baseUrl + path, init);
        }
        catch (e) {
            if (opts.signal?.aborted)
                throw e;
            const msg = e instanceof Error ? e.message : String(e);
            throw new AnshinError(0, 'network_error', `could not reach the server: ${msg}`);
        }
        if (res.ok) {
            if (res.status === 204)
                return undefined;
            const text = await res.text();
            return (text ? JSON.parse(text) : undefined);
        }
        throw await problemFrom(res);
    }
    remember(userId, session) {
        if (!this.keepSession || !session)
            return;
        this.token = session.token;
        if (userId)
            this.userId = userId;
    }
    userPath(userId) {
        const id = userId ?? this.userId;
        if (!id)
            throw new TypeError('anshin: no user id (sign in first, or pass one)');
        return `/v1/users/${enc(id)}`;
    }
}
function enc(s) {
    return encodeURIComponent(s);
}
/** Builds an {@link AnshinError} from an error answer, problem+json or not. */
export async function problemFrom(res) {
    let text = '';
    try {
        text = await res.text();
    }
    catch {
        /* ignore */
    }
    const ra = res.headers.get('retry-after');
    const retryAfter = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : undefined;
    let problem;
    try {
        const p = JSON.parse(text);
        if (p && typeof p === 'object' && typeof p.code === 'string')
            problem = p;
    }
    catch {
        /* not JSON */
    }
    if (problem) {
        return new AnshinError(res.status, problem.code, typeof problem.detail === 'string' ? problem.detail : '', problem, retryAfter);
    }
    return new AnshinError(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText, undefined, retryAfter);
}
