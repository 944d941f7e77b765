/** Errors raised by the SDK. No DOM dependency. */
/**
 * An error answer from the anshin server (or a failure to reach it: `status` 0, `code`
 * `network_error`). `code` is the server's stable error code (`challenge_mismatch`,
 * `user_exists`, `rate_limited`...).
 */
export class AnshinError extends Error {
    constructor(status, code, detail, problem, retryAfter) {
        super(detail ? `${code}: ${detail}` : code);
        this.name = 'AnshinError';
        this.status = status;
        this.code = code;
        this.detail = detail;
        this.problem = problem;
        this.retryAfter = retryAfter;
    }
}
const MESSAGES = {
    cancelled: 'The passkey request was cancelled or timed out, or no passkey for this site was found on this device. Try again, or choose another way to sign in.',
    already_registered: 'This device already has a passkey for this account. Sign in with it, or use another device or password manager to add a new one.',
    security: "This page's address is not allowed to use passkeys for this site. Open the site at its usual address over https (http://localhost is fine while developing, an IP address is not).",
    aborted: 'The passkey request was stopped before it finished.',
    not_supported: 'This browser or device cannot use passkeys with these settings. Update the browser, or sign in another way.',
    constraint: 'The authenticator cannot verify you (no screen lock, PIN or biometrics set up). Set one up on this device, or use another device.',
    unknown: 'The passkey request failed.',
};
/** A WebAuthn ceremony failed in the browser (a DOMException from `navigator.credentials`). */
export class WebAuthnError extends Error {
    constructor(code, ceremony, cause, message) {
        super(message ?? MESSAGES[code]);
        this.name = 'WebAuthnError';
        this.code = code;
        this.ceremony = ceremony;
        this.cause = cause;
    }
}
/**
 * Turns what `navigator.credentials.create()` / `get()` threw into a {@link WebAuthnError}.
 * `aborted` says whether the caller's AbortSignal fired (browsers reject with the signal's
 * reason, which need not be an AbortError).
 */
export function toWebAuthnError(err, ceremony, aborted = false) {
    if (err instanceof WebAuthnError)
        return err;
    if (aborted)
        return new WebAuthnError('aborted', ceremony, err);
    const name = typeof err === 'object' && err !== null ? String(err.name) : '';
    switch (name) {
        case 'NotAllowedError':
            return new WebAuthnError('cancelled', ceremony, err);
        case 'InvalidStateError':
            return ceremony === 'create'
                ? new WebAuthnError('already_registered', ceremony, err)
                : new WebAuthnError('unknown', ceremony, err, `${MESSAGES.unknown} (${describe(err)})`);
        case 'SecurityError':
            return new WebAuthnError('security', ceremony, err);
        case 'AbortError':
            return new WebAuthnError('aborted', ceremony, err);
        case 'NotSupportedError':
            return new WebAuthnError('not_supported', ceremony, err);
        case 'ConstraintError':
            return new WebAuthnError('constraint', ceremony, err);
        default:
            return new WebAuthnError('unknown', ceremony, err, `${MESSAGES.unknown} (${describe(err)})`);
    }
}
function describe(err) {
    if (err instanceof Error)
        return `${err.name}: ${err.message}`;
    return String(err);
}
