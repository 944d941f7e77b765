/** Errors raised by the SDK. No DOM dependency. */

/** The body of an anshin error answer (`application/problem+json`, RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable, machine-readable; branch on this. */
  code: string;
  [extra: string]: unknown;
}

/**
 * An error answer from the anshin server (or a failure to reach it: `status` 0, `code`
 * `network_error`). `code` is the server's stable error code (`challenge_mismatch`,
 * `user_exists`, `rate_limited`...).
 */
export class AnshinError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly problem: Problem | undefined;
  /** Seconds, from a `Retry-After` header, when the server sent one. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, detail: string, problem?: Problem, retryAfter?: number) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'AnshinError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** What went wrong in a WebAuthn ceremony, in terms an app can branch on. */
export type WebAuthnErrorCode =
  /** NotAllowedError: the person cancelled, or the request timed out, or no passkey matched. */
  | 'cancelled'
  /** InvalidStateError at registration: this authenticator already holds a passkey for the account. */
  | 'already_registered'
  /** SecurityError: the page's origin does not fit the relying party id. */
  | 'security'
  /** AbortError: the ceremony was aborted through its AbortSignal (for example another sign-in path was chosen). */
  | 'aborted'
  /** NotSupportedError, or no WebAuthn in this browser. */
  | 'not_supported'
  /** ConstraintError: the authenticator cannot do what the options require (e.g. user verification). */
  | 'constraint'
  /** Something else (the original error is in `cause`). */
  | 'unknown';

const MESSAGES: Record<WebAuthnErrorCode, string> = {
  cancelled:
    'The passkey request was cancelled or timed out, or no passkey for this site was found on this device. Try again, or choose another way to sign in.',
  already_registered:
    'This device already has a passkey for this account. Sign in with it, or use another device or password manager to add a new one.',
  security:
    "This page's address is not allowed to use passkeys for this site. Open the site at its usual address over https (http://localhost is fine while developing, an IP address is not).",
  aborted: 'The passkey request was stopped before it finished.',
  not_supported:
    'This browser or device cannot use passkeys with these settings. Update the browser, or sign in another way.',
  constraint:
    'The authenticator cannot verify you (no screen lock, PIN or biometrics set up). Set one up on this device, or use another device.',
  unknown: 'The passkey request failed.',
};

/** A WebAuthn ceremony failed in the browser (a DOMException from `navigator.credentials`). */
export class WebAuthnError extends Error {
  readonly code: WebAuthnErrorCode;
  readonly ceremony: 'create' | 'get';
  /** The original DOMException (or other error). */
  readonly cause: unknown;

  constructor(code: WebAuthnErrorCode, ceremony: 'create' | 'get', cause?: unknown, message?: string) {
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
export function toWebAuthnError(err: unknown, ceremony: 'create' | 'get', aborted = false): WebAuthnError {
  if (err instanceof WebAuthnError) return err;
  if (aborted) return new WebAuthnError('aborted', ceremony, err);
  const name = typeof err === 'object' && err !== null ? String((err as { name?: unknown }).name) : '';
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

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
