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
import { AnshinClient, type AnshinClientOptions } from './client.js';
import { WebAuthnError, toWebAuthnError } from './errors.js';
import { credentialToJSON, creationOptionsFromJSON, requestOptionsFromJSON, type CredentialLike } from './json.js';
import { fetchWithStepUp, type StepUpChallenge } from './rfc9470.js';
import type {
  AuthenticationOptions,
  AuthenticationResponseJSON,
  AuthenticationVerified,
  CredentialView,
  FallbackOptions,
  RegistrationOptionsRequest,
  RegistrationResponseJSON,
  RegistrationVerified,
  SmsSent,
  SmsVerified,
  SteppedUp,
} from './types.js';

export * from './client.js';
export { WebAuthnError, toWebAuthnError, type WebAuthnErrorCode } from './errors.js';
export { creationOptionsFromJSON, requestOptionsFromJSON, credentialToJSON, type CredentialLike, type JsonOptions } from './json.js';

// ---- feature detection ----

interface PKCFeatures {
  isConditionalMediationAvailable?: () => Promise<boolean>;
  isUserVerifyingPlatformAuthenticatorAvailable?: () => Promise<boolean>;
  getClientCapabilities?: () => Promise<Record<string, boolean>>;
}

function PKC(): PKCFeatures | undefined {
  return (globalThis as { PublicKeyCredential?: PKCFeatures }).PublicKeyCredential;
}

/** WebAuthn is there at all (a secure context with `PublicKeyCredential` and `navigator.credentials`). */
export function isWebAuthnSupported(): boolean {
  return (
    PKC() !== undefined &&
    typeof navigator !== 'undefined' &&
    typeof navigator.credentials?.create === 'function' &&
    typeof navigator.credentials?.get === 'function'
  );
}

/** Passkey autofill (`mediation: 'conditional'`) can be used. */
export async function isConditionalMediationAvailable(): Promise<boolean> {
  const P = PKC();
  if (!isWebAuthnSupported() || !P) return false;
  try {
    if (typeof P.getClientCapabilities === 'function') {
      const caps = await P.getClientCapabilities();
      if (typeof caps.conditionalGet === 'boolean') return caps.conditionalGet;
    }
    return typeof P.isConditionalMediationAvailable === 'function' ? await P.isConditionalMediationAvailable() : false;
  } catch {
    return false;
  }
}

/** A built-in authenticator with user verification (Touch ID, Windows Hello, Android screen lock) is there. */
export async function isPlatformAuthenticatorAvailable(): Promise<boolean> {
  const P = PKC();
  if (!isWebAuthnSupported() || !P || typeof P.isUserVerifyingPlatformAuthenticatorAvailable !== 'function') return false;
  try {
    return await P.isUserVerifyingPlatformAuthenticatorAvailable();
  } catch {
    return false;
  }
}

/**
 * `PublicKeyCredential.getClientCapabilities()` (WebAuthn Level 3) where the browser has it;
 * otherwise the capabilities the older feature tests can tell (`conditionalGet`,
 * `userVerifyingPlatformAuthenticator`). Keys the browser does not report are absent, never false.
 */
export async function getClientCapabilities(): Promise<Record<string, boolean>> {
  const P = PKC();
  if (!isWebAuthnSupported() || !P) return {};
  if (typeof P.getClientCapabilities === 'function') {
    try {
      return { ...(await P.getClientCapabilities()) };
    } catch {
      /* fall through */
    }
  }
  const caps: Record<string, boolean> = {};
  if (typeof P.isConditionalMediationAvailable === 'function') caps.conditionalGet = await isConditionalMediationAvailable();
  if (typeof P.isUserVerifyingPlatformAuthenticatorAvailable === 'function') {
    caps.userVerifyingPlatformAuthenticator = await isPlatformAuthenticatorAvailable();
  }
  return caps;
}

// ---- the browser layer ----

export interface AnshinOptions extends AnshinClientOptions {
  /** Use this client instead of making one from the options. */
  client?: AnshinClient;
  /** `false` forces the SDK's own JSON conversion instead of the browser's. */
  nativeJSON?: boolean;
}

export interface RegisterOptions {
  /** For a new account (open sign-up). Omit when signed in: the passkey is added to the account. */
  username?: string;
  displayName?: string;
  /** A name for the passkey, shown in the passkey list. */
  nickname?: string;
  attestation?: RegistrationOptionsRequest['attestation'];
  authenticatorAttachment?: RegistrationOptionsRequest['authenticator_attachment'];
  residentKey?: RegistrationOptionsRequest['resident_key'];
  userVerification?: RegistrationOptionsRequest['user_verification'];
  hints?: string[];
  /** `conditional`: an automatic passkey upgrade right after a sign-in of another kind. */
  mediation?: 'conditional';
  signal?: AbortSignal;
}

export interface SignInOptions {
  /** Username-first sign-in; omit for a usernameless (discoverable) one. */
  username?: string;
  /**
   * `conditional`: passkey autofill. The promise settles when the person picks a passkey in
   * the autofill menu of an `<input autocomplete="username webauthn">`; abort it through
   * `signal` when they take another path (the SDK also aborts it when another ceremony starts).
   */
  mediation?: 'conditional';
  userVerification?: 'discouraged' | 'preferred' | 'required';
  signal?: AbortSignal;
}

export interface StepUpOptions {
  /** The sensitive action (`change_phone`...), for the risk engine and the audit trail. */
  action?: string;
  signal?: AbortSignal;
}

/** Passkeys in the browser: the WebAuthn ceremonies wired to an anshin server. */
export class Anshin {
  readonly client: AnshinClient;
  private readonly nativeJSON: boolean;
  private pending: AbortController | undefined;

  constructor(options: AnshinOptions = {}) {
    this.client = options.client ?? new AnshinClient(options);
    this.nativeJSON = options.nativeJSON !== false;
  }

  /** The session token of the signed-in user, if any. */
  get token(): string | undefined {
    return this.client.token;
  }

  /** The signed-in user's id, if any. */
  get userId(): string | undefined {
    return this.client.userId;
  }

  /** Forget the session in this page. */
  signOut(): void {
    this.client.signOut();
  }

  /**
   * Creates a passkey: signs a new user up (`username`), or adds a passkey to the signed-in
   * user's account (after a sign-in, or right after an SMS sign-in: the nudge).
   */
  async register(opts: RegisterOptions = {}): Promise<RegistrationVerified> {
    const user: RegistrationOptionsRequest['user'] = {};
    if (!this.client.token) {
      if (!opts.username) throw new TypeError('anshin.register: a username is needed to sign a new user up');
      user.name = opts.username;
      user.display_name = opts.displayName ?? opts.username;
    }
    const req: RegistrationOptionsRequest = { user };
    if (opts.attestation) req.attestation = opts.attestation;
    if (opts.authenticatorAttachment) req.authenticator_attachment = opts.authenticatorAttachment;
    if (opts.residentKey) req.resident_key = opts.residentKey;
    if (opts.userVerification) req.user_verification = opts.userVerification;
    if (opts.hints) req.hints = opts.hints;
    if (opts.mediation) req.mediation = opts.mediation;
    const signal = this.begin(opts.signal, 'create');
    const start = await this.client.registrationOptions(req, { signal });
    const publicKey = creationOptionsFromJSON(start.publicKey, { native: this.nativeJSON });
    const createOpts: CredentialCreationOptions & { mediation?: string } = { publicKey, signal };
    if (opts.mediation) createOpts.mediation = opts.mediation;
    let cred: CredentialLike;
    try {
      cred = (await navigator.credentials.create(createOpts)) as unknown as CredentialLike;
    } catch (e) {
      throw toWebAuthnError(e, 'create', signal.aborted);
    } finally {
      this.end(signal);
    }
    if (!cred) throw new WebAuthnError('cancelled', 'create');
    const credential = credentialToJSON(cred, { native: this.nativeJSON, ceremony: 'create' }) as RegistrationResponseJSON;
    return this.client.registrationVerify(
      opts.nickname ? { ceremony_id: start.ceremony_id, credential, nickname: opts.nickname } : { ceremony_id: start.ceremony_id, credential },
    );
  }

  /** Signs in with a passkey: username-first, usernameless, or by autofill (`mediation: 'conditional'`). */
  async signIn(opts: SignInOptions = {}): Promise<AuthenticationVerified> {
    const conditional = opts.mediation === 'conditional';
    if (conditional && !(await isConditionalMediationAvailable())) {
      throw new WebAuthnError('not_supported', 'get', undefined, 'Passkey autofill is not available in this browser; offer a "Sign in with a passkey" button instead.');
    }
    const signal = this.begin(opts.signal, 'get');
    let start: AuthenticationOptions;
    try {
      start = await this.client.authenticationOptions(
        {
          ...(opts.username ? { username: opts.username } : {}),
          ...(conditional ? { mediation: 'conditional' as const } : {}),
          ...(opts.userVerification ? { user_verification: opts.userVerification } : {}),
        },
        { signal },
      );
    } catch (e) {
      this.end(signal);
      if (signal.aborted) throw toWebAuthnError(e, 'get', true);
      throw e;
    }
    const credential = await this.get(start, signal, conditional ? 'conditional' : undefined);
    return this.client.authenticationVerify({ ceremony_id: start.ceremony_id, credential });
  }

  /** Raises the signed-in session to a phishing-resistant level with a user-verifying passkey assertion. */
  async stepUp(opts: StepUpOptions = {}): Promise<SteppedUp> {
    if (!this.client.token) throw new TypeError('anshin.stepUp: sign in first');
    const signal = this.begin(opts.signal, 'get');
    let start: AuthenticationOptions;
    try {
      start = await this.client.stepUpOptions(opts.action ? { action: opts.action } : {}, { signal });
    } catch (e) {
      this.end(signal);
      if (signal.aborted) throw toWebAuthnError(e, 'get', true);
      throw e;
    }
    const credential = await this.get(start, signal, undefined);
    return this.client.stepUpVerify({ ceremony_id: start.ceremony_id, credential });
  }

  /** The signed-in user's passkeys. */
  listPasskeys(): Promise<CredentialView[]> {
    return this.client.listCredentials();
  }

  /** Renames one of the signed-in user's passkeys (`null` clears the name). */
  renamePasskey(credentialId: string, nickname: string | null): Promise<CredentialView> {
    return this.client.renameCredential(credentialId, nickname);
  }

  /** Deletes one of the signed-in user's passkeys. */
  deletePasskey(credentialId: string): Promise<void> {
    return this.client.deleteCredential(credentialId);
  }

  /** What to offer when no passkey is at hand, passkey first (`passkey_other_device`, then `sms`...). */
  fallbackOptions(username: string): Promise<FallbackOptions> {
    return this.client.fallbackOptions({ username });
  }

  /** Sends a one-time code by SMS (when the server's SMS gate allows it). Same answer for every name. */
  sendSmsCode(username: string): Promise<SmsSent> {
    return this.client.smsSend({ username });
  }

  /** Signs in with the SMS code. When `enroll_passkey` is true, offer {@link enrollPasskey} at once. */
  verifySmsCode(otpId: string, code: string): Promise<SmsVerified> {
    return this.client.smsVerify({ otp_id: otpId, code });
  }

  /** Adds a passkey to the signed-in account (the nudge after an SMS sign-in). */
  enrollPasskey(opts: Omit<RegisterOptions, 'username' | 'displayName'> = {}): Promise<RegistrationVerified> {
    if (!this.client.token) throw new TypeError('anshin.enrollPasskey: sign in first');
    return this.register(opts);
  }

  /**
   * `fetch` for your own backend, with the session token as bearer. When the backend answers
   * 401/403 `WWW-Authenticate: Bearer error="insufficient_user_authentication"` (RFC 9470), runs
   * a step-up and retries once. `confirm` may ask the person first (return false to give up).
   */
  fetch(
    input: RequestInfo | URL,
    init: RequestInit = {},
    opts: { action?: string; confirm?: (c: StepUpChallenge) => boolean | Promise<boolean>; fetch?: typeof fetch } = {},
  ): Promise<Response> {
    return fetchWithStepUp(input, init, {
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      token: () => this.client.token,
      stepUp: async (challenge) => {
        if (opts.confirm && !(await opts.confirm(challenge))) return false;
        await this.stepUp(opts.action ? { action: opts.action } : {});
        return true;
      },
    });
  }

  /** Aborts a pending ceremony of this instance (e.g. passkey autofill). */
  abort(): void {
    this.pending?.abort();
    this.pending = undefined;
  }

  // A browser runs one WebAuthn request at a time: a new ceremony aborts the pending one (the
  // autofill request, typically). The caller's signal is linked to ours.
  private begin(outer: AbortSignal | undefined, ceremony: 'create' | 'get'): AbortSignal {
    if (outer?.aborted) throw new WebAuthnError('aborted', ceremony, outer.reason);
    this.pending?.abort();
    const ctl = new AbortController();
    if (outer) outer.addEventListener('abort', () => ctl.abort(outer.reason), { once: true });
    this.pending = ctl;
    return ctl.signal;
  }

  private end(signal: AbortSignal): void {
    if (this.pending && this.pending.signal === signal) this.pending = undefined;
  }

  private async get(start: AuthenticationOptions, signal: AbortSignal, mediation: 'conditional' | undefined): Promise<AuthenticationResponseJSON> {
    const publicKey = requestOptionsFromJSON(start.publicKey, { native: this.nativeJSON });
    const getOpts: CredentialRequestOptions = { publicKey, signal };
    if (mediation) getOpts.mediation = mediation;
    let cred: CredentialLike;
    try {
      cred = (await navigator.credentials.get(getOpts)) as unknown as CredentialLike;
    } catch (e) {
      throw toWebAuthnError(e, 'get', signal.aborted);
    } finally {
      this.end(signal);
    }
    if (!cred) throw new WebAuthnError('cancelled', 'get');
    return credentialToJSON(cred, { native: this.nativeJSON, ceremony: 'get' }) as AuthenticationResponseJSON;
  }
}
