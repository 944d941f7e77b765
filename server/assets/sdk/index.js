/**
 * `@anshin/browser`: passkeys in the browser against an anshin server.
 *
 * ```ts
 * import { Anshin } from '@anshin/browser';
 * const anshin = new Anshin({ baseUrl: 'https://auth.example.com' });
 * await anshin.register({ username: 'alice@example.com', displayName: 'Alice' });
 * await anshin.signIn({ mediation: 'conditional', signal });   // autofill
 * ```
 */
import { AnshinClient } from './client.js';
import { WebAuthnError, toWebAuthnError } from './errors.js';
import { credentialToJSON, creationOptionsFromJSON, requestOptionsFromJSON } from './json.js';
import { fetchWithStepUp } from './rfc9470.js';
export * from './client.js';
export { WebAuthnError, toWebAuthnError } from './errors.js';
export { creationOptionsFromJSON, requestOptionsFromJSON, credentialToJSON } from './json.js';
function PKC() {
    return globalThis.PublicKeyCredential;
}
/** WebAuthn is there at all (a secure context with `PublicKeyCredential` and `navigator.credentials`). */
export function isWebAuthnSupported() {
    return (PKC() !== undefined &&
        typeof navigator !== 'undefined' &&
        typeof navigator.credentials?.create === 'function' &&
        typeof navigator.credentials?.get === 'function');
}
/** Passkey autofill (`mediation: 'conditional'`) can be used. */
export async function isConditionalMediationAvailable() {
    const P = PKC();
    if (!isWebAuthnSupported() || !P)
        return false;
    try {
        if (typeof P.getClientCapabilities === 'function') {
            const caps = await P.getClientCapabilities();
            if (typeof caps.conditionalGet === 'boolean')
                return caps.conditionalGet;
        }
        return typeof P.isConditionalMediationAvailable === 'function' ? await P.isConditionalMediationAvailable() : false;
    }
    catch {
        return false;
    }
}
/** A built-in authenticator with user verification (Touch ID, Windows Hello, Android screen lock) is there. */
export async function isPlatformAuthenticatorAvailable() {
    const P = PKC();
    if (!isWebAuthnSupported() || !P || typeof P.isUserVerifyingPlatformAuthenticatorAvailable !== 'function')
        return false;
    try {
        return await P.isUserVerifyingPlatformAuthenticatorAvailable();
    }
    catch {
        return false;
    }
}
/**
 * `PublicKeyCredential.getClientCapabilities()` (WebAuthn Level 3) where the browser has it;
 * otherwise the capabilities the older feature tests can tell (`conditionalGet`,
 * `userVerifyingPlatformAuthenticator`). Keys the browser does not report are absent, never false.
 */
export async function getClientCapabilities() {
    const P = PKC();
    if (!isWebAuthnSupported() || !P)
        return {};
    if (typeof P.getClientCapabilities === 'function') {
        try {
            return { ...(await P.getClientCapabilities()) };
        }
        catch {
            /* fall through */
        }
    }
    const caps = {};
    if (typeof P.isConditionalMediationAvailable === 'function')
        caps.conditionalGet = await isConditionalMediationAvailable();
    if (typeof P.isUserVerifyingPlatformAuthenticatorAvailable === 'function') {
        caps.userVerifyingPlatformAuthenticator = await isPlatformAuthenticatorAvailable();
    }
    return caps;
}
/** Passkeys in the browser: the WebAuthn ceremonies wired to an anshin server. */
export class Anshin {
    constructor(options = {}) {
        this.client = options.client ?? new AnshinClient(options);
        this.nativeJSON = options.nativeJSON !== false;
    }
    /** The session token of the signed-in user, if any. */
    get token() {
        return this.client.token;
    }
    /** The signed-in user's id, if any. */
    get userId() {
        return this.client.userId;
    }
    /** Forget the session in this page. */
    signOut() {
        this.client.signOut();
    }
    /**
     * Creates a passkey: signs a new user up (`username`), or adds a passkey to the signed-in
     * user's account (after a sign-in, or right after an SMS sign-in: the nudge).
     */
    async register(opts = {}) {
        const user = {};
        if (!this.client.token) {
            if (!opts.username)
                throw new TypeError('anshin.register: a username is needed to sign a new user up');
            user.name = opts.username;
            user.display_name = opts.displayName ?? opts.username;
        }
        const req = { user };
        if (opts.attestation)
            req.attestation = opts.attestation;
        if (opts.authenticatorAttachment)
            req.authenticator_attachment = opts.authenticatorAttachment;
        if (opts.residentKey)
            req.resident_key = opts.residentKey;
        if (opts.userVerification)
            req.user_verification = opts.userVerification;
        if (opts.hints)
            req.hints = opts.hints;
        if (opts.mediation)
            req.mediation = opts.mediation;
        const signal = this.begin(opts.signal, 'create');
        const start = await this.client.registrationOptions(req, { signal });
        const publicKey = creationOptionsFromJSON(start.publicKey, { native: this.nativeJSON });
        const createOpts = { publicKey, signal };
        if (opts.mediation)
            createOpts.mediation = opts.mediation;
        let cred;
        try {
            cred = (await navigator.credentials.create(createOpts));
        }
        catch (e) {
            throw toWebAuthnError(e, 'create', signal.aborted);
        }
        finally {
            this.end(signal);
        }
        if (!cred)
            throw new WebAuthnError('cancelled', 'create');
        const credential = credentialToJSON(cred, { native: this.nativeJSON, ceremony: 'create' });
        return this.client.registrationVerify(opts.nickname ? { ceremony_id: start.ceremony_id, credential, nickname: opts.nickname } : { ceremony_id: start.ceremony_id, credential });
    }
    /** Signs in with a passkey: username-first, usernameless, or by autofill (`mediation: 'conditional'`). */
    async signIn(opts = {}) {
        const conditional = opts.mediation === 'conditional';
        if (conditional && !(await isConditionalMediationAvailable())) {
            throw new WebAuthnError('not_supported', 'get', undefined, 'Passkey autofill is not available in this browser; offer a "Sign in with a passkey" button instead.');
        }
        const signal = this.begin(opts.signal, 'get');
        let start;
        try {
            start = await this.client.authenticationOptions({
                ...(opts.username ? { username: opts.username } : {}),
                ...(conditional ? { mediation: 'conditional' } : {}),
                ...(opts.userVerification ? { user_verification: opts.userVerification } : {}),
            }, { signal });
        }
        catch (e) {
            this.end(signal);
            if (signal.aborted)
                throw toWebAuthnError(e, 'get', true);
            throw e;
        }
        const credential = await this.get(start, signal, conditional ? 'conditional' : undefined);
        return this.client.authenticationVerify({ ceremony_id: start.ceremony_id, credential });
    }
    /** Raises the signed-in session to a phishing-resistant level with a user-verifying passkey assertion. */
    async stepUp(opts = {}) {
        if (!this.client.token)
            throw new TypeError('anshin.stepUp: sign in first');
        const signal = this.begin(opts.signal, 'get');
        let start;
        try {
            start = await this.client.stepUpOptions(opts.action ? { action: opts.action } : {}, { signal });
        }
        catch (e) {
            this.end(signal);
            if (signal.aborted)
                throw toWebAuthnError(e, 'get', true);
            throw e;
        }
        const credential = await this.get(start, signal, undefined);
        return this.client.stepUpVerify({ ceremony_id: start.ceremony_id, credential });
    }
    /** The signed-in user's passkeys. */
    listPasskeys() {
        return this.client.listCredentials();
    }
    /** Renames one of the signed-in user's passkeys (`null` clears the name). */
    renamePasskey(credentialId, nickname) {
        return this.client.renameCredential(credentialId, nickname);
    }
    /** Deletes one of the signed-in user's passkeys. */
    deletePasskey(credentialId) {
        return this.client.deleteCredential(credentialId);
    }
    /** What to offer when no passkey is at hand, passkey first (`passkey_other_device`, then `sms`...). */
    fallbackOptions(username) {
        return this.client.fallbackOptions({ username });
    }
    /** Sends a one-time code by SMS (when the server's SMS gate allows it). Same answer for every name. */
    sendSmsCode(username) {
        return this.client.smsSend({ username });
    }
    /** Signs in with the SMS code. When `enroll_passkey` is true, offer {@link enrollPasskey} at once. */
    verifySmsCode(otpId, code) {
        return this.client.smsVerify({ otp_id: otpId, code });
    }
    /** Adds a passkey to the signed-in account (the nudge after an SMS sign-in). */
    enrollPasskey(opts = {}) {
        if (!this.client.token)
            throw new TypeError('anshin.enrollPasskey: sign in first');
        return this.register(opts);
    }
    /**
     * `fetch` for your own backend, with the session token as bearer. When the backend answers
     * 401/403 `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (RFC 9470), runs
     * a step-up and retries once. `confirm` may ask the person first (return false to give up).
     */
    fetch(input, init = {}, opts = {}) {
        return fetchWithStepUp(input, init, {
            ...(opts.fetch ? { fetch: opts.fetch } : {}),
            token: () => this.client.token,
            stepUp: async (challenge) => {
                if (opts.confirm && !(await opts.confirm(challenge)))
                    return false;
                await this.stepUp(opts.action ? { action: opts.action } : {});
                return true;
            },
        });
    }
    /** Aborts a pending ceremony of this instance (e.g. passkey autofill). */
    abort() {
        this.pending?.abort();
        this.pending = undefined;
    }
    // A browser runs one WebAuthn request at a time: a new ceremony aborts the pending one (the
    // autofill request, typically). The caller's signal is linked to ours.
    begin(outer, ceremony) {
        if (outer?.aborted)
            throw new WebAuthnError('aborted', ceremony, outer.reason);
        this.pending?.abort();
        const ctl = new AbortController();
        if (outer)
            outer.addEventListener('abort', () => ctl.abort(outer.reason), { once: true });
        this.pending = ctl;
        return ctl.signal;
    }
    end(signal) {
        if (this.pending && this.pending.signal === signal)
            this.pending = undefined;
    }
    async get(start, signal, mediation) {
        const publicKey = requestOptionsFromJSON(start.publicKey, { native: this.nativeJSON });
        const getOpts = { publicKey, signal };
        if (mediation)
            getOpts.mediation = mediation;
        let cred;
        try {
            cred = (await navigator.credentials.get(getOpts));
        }
        catch (e) {
            throw toWebAuthnError(e, 'get', signal.aborted);
        }
        finally {
            this.end(signal);
        }
        if (!cred)
            throw new WebAuthnError('cancelled', 'get');
        return credentialToJSON(cred, { native: this.nativeJSON, ceremony: 'get' });
    }
}
