/**
 * `@anshin/browser/client`: a typed client of the anshin HTTP API with no DOM dependency.
 * Works in browsers, Node (18+), Deno, Bun, React Native and workers: anything with `fetch`.
 *
 * A native app that gets WebAuthn JSON from the platform (Android Credential Manager, iOS
 * AuthenticationServices) passes that JSON to `authenticationVerify()` / `registrationVerify()`.
 */
import { AnshinError, type Problem } from './errors.js';
import type {
  AuthenticationOptions,
  AuthenticationOptionsRequest,
  AuthenticationVerified,
  AuthenticationVerifyRequest,
  CredentialView,
  UserView,
  FallbackOptions,
  FallbackOptionsRequest,
  RegistrationOptions,
  RegistrationOptionsRequest,
  RegistrationVerified,
  RegistrationVerifyRequest,
  SessionToken,
  SmsSendRequest,
  SmsSent,
  SmsVerified,
  SmsVerifyRequest,
  SteppedUp,
  StepUpOptionsRequest,
  StepUpVerifyRequest,
} from './types.js';

export * from './types.js';
export { AnshinError, type Problem } from './errors.js';
export { toBase64url, fromBase64url } from './base64url.js';
export {
  parseWwwAuthenticate,
  parseStepUpChallenge,
  fetchWithStepUp,
  type AuthChallenge,
  type StepUpChallenge,
  type StepUpFetchOptions,
} from './rfc9470.js';

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface AnshinClientOptions {
  /** Where anshin answers, e.g. `https://auth.example.com`. Default: same origin (`''`). */
  baseUrl?: string;
  /** A `fetch` to use instead of the global one (tests, React Native polyfills, proxies). */
  fetch?: FetchLike;
  /** A session token to send as `Authorization: Bearer`. */
  token?: string;
  /** An API key (backends only; never ship one to a browser or an app). */
  apiKey?: string;
  /**
   * Keep the session of successful sign-ins, registrations, step-ups and SMS sign-ins and
   * send it with later calls. Default: true without an API key, false with one.
   */
  keepSession?: boolean;
  /** Sent as `X-Anshin-Device`, so that the risk engine can tell known devices from new ones. */
  deviceId?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** `credentials` mode of browser requests (cookies). Default `same-origin`. */
  credentials?: RequestCredentials;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Use this bearer (session token or API key) for this call only. */
  bearer?: string;
}

/** The anshin HTTP API. */
export class AnshinClient {
  readonly baseUrl: string;
  /** The current session token (set by sign-ins when `keepSession`), or undefined. */
  token: string | undefined;
  /** The signed-in user's id, when known. */
  userId: string | undefined;
  private readonly apiKey: string | undefined;
  private readonly keepSession: boolean;
  private readonly fetchImpl: FetchLike;
  private readonly extraHeaders: Record<string, string>;
  private readonly credentialsMode: RequestCredentials;

  constructor(options: AnshinClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.token = options.token;
    this.apiKey = options.apiKey;
    this.keepSession = options.keepSession ?? options.apiKey === undefined;
    const f = options.fetch ?? (typeof fetch === 'function' ? fetch : undefined);
    if (!f) throw new TypeError('anshin: no fetch available; pass one in the options');
    // Call through a closure: browsers throw "Illegal invocation" on an unbound window.fetch.
    this.fetchImpl = options.fetch ? options.fetch : (input, init) => f(input, init);
    this.extraHeaders = { ...(options.headers ?? {}) };
    if (options.deviceId) this.extraHeaders['x-anshin-device'] = options.deviceId;
    this.credentialsMode = options.credentials ?? 'same-origin';
  }

  /** Forget the session (client side only; revocation is a backend call). */
  signOut(): void {
    this.token = undefined;
    this.userId = undefined;
  }

  // ---- registration ----

  /** `POST /v1/registration/options`. */
  registrationOptions(body: RegistrationOptionsRequest, opts?: CallOptions): Promise<RegistrationOptions> {
    return this.request('POST', '/v1/registration/options', body, opts);
  }

  /** `POST /v1/registration/verify`. A new account comes back signed in (`session`). */
  async registrationVerify(body: RegistrationVerifyRequest, opts?: CallOptions): Promise<RegistrationVerified> {
    const r = await this.request<RegistrationVerified>('POST', '/v1/registration/verify', body, opts);
    this.remember(r.user_id, r.session);
    return r;
  }

  // ---- sign-in ----

  /** `POST /v1/authentication/options`: `{username}`, `{}` (usernameless) or `{mediation: 'conditional'}`. */
  authenticationOptions(body: AuthenticationOptionsRequest = {}, opts?: CallOptions): Promise<AuthenticationOptions> {
    return this.request('POST', '/v1/authentication/options', body, opts);
  }

  /** `POST /v1/authentication/verify`. */
  async authenticationVerify(body: AuthenticationVerifyRequest, opts?: CallOptions): Promise<AuthenticationVerified> {
    const r = await this.request<AuthenticationVerified>('POST', '/v1/authentication/verify', body, opts);
    this.remember(r.user_id, r.session);
    return r;
  }

  // ---- step-up (needs a session) ----

  /** `POST /v1/step-up/options`. */
  stepUpOptions(body: StepUpOptionsRequest = {}, opts?: CallOptions): Promise<AuthenticationOptions> {
    return this.request('POST', '/v1/step-up/options', body, opts);
  }

  /** `POST /v1/step-up/verify`: the same session at a higher level, with a new token. */
  async stepUpVerify(body: StepUpVerifyRequest, opts?: CallOptions): Promise<SteppedUp> {
    const r = await this.request<SteppedUp>('POST', '/v1/step-up/verify', body, opts);
    this.remember(this.userId, r.session);
    return r;
  }

  // ---- the account and its passkeys (session or API key) ----

  /** `GET /v1/users/{id}`: name, display name and phone number. `userId` defaults to the signed-in user. */
  getUser(userId?: string, opts?: CallOptions): Promise<UserView> {
    return this.request('GET', this.userPath(userId), undefined, opts);
  }

  /** `GET /v1/users/{id}/credentials`. `userId` defaults to the signed-in user. */
  async listCredentials(userId?: string, opts?: CallOptions): Promise<CredentialView[]> {
    const r = await this.request<{ credentials: CredentialView[] }>('GET', `${this.userPath(userId)}/credentials`, undefined, opts);
    return r.credentials;
  }

  /** `GET /v1/users/{id}/credentials/{cred}`. */
  async getCredential(credentialId: string, userId?: string, opts?: CallOptions): Promise<CredentialView> {
    return this.request('GET', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, undefined, opts);
  }

  /** `PATCH /v1/users/{id}/credentials/{cred}` `{nickname}` (null clears it). */
  async renameCredential(credentialId: string, nickname: string | null, userId?: string, opts?: CallOptions): Promise<CredentialView> {
    return this.request('PATCH', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, { nickname }, opts);
  }

  /** `DELETE /v1/users/{id}/credentials/{cred}`. */
  async deleteCredential(credentialId: string, userId?: string, opts?: CallOptions): Promise<void> {
    await this.request('DELETE', `${this.userPath(userId)}/credentials/${enc(credentialId)}`, undefined, opts);
  }

  // ---- fallback ----

  /** `POST /v1/fallback/options`: what to offer when no passkey is at hand, passkey first. */
  fallbackOptions(body: FallbackOptionsRequest, opts?: CallOptions): Promise<FallbackOptions> {
    return this.request('POST', '/v1/fallback/options', body, opts);
  }

  /** `POST /v1/fallback/sms/send`. The answer has the same shape for every user name. */
  smsSend(body: SmsSendRequest, opts?: CallOptions): Promise<SmsSent> {
    return this.request('POST', '/v1/fallback/sms/send', body, opts);
  }

  /** `POST /v1/fallback/sms/verify`: signs in at `urn:anshin:acr:sms`. */
  async smsVerify(body: SmsVerifyRequest, opts?: CallOptions): Promise<SmsVerified> {
    const r = await this.request<SmsVerified>('POST', '/v1/fallback/sms/verify', body, opts);
    this.remember(r.user_id, r.session);
    return r;
  }

  // ---- plumbing ----

  /** Any call of the API: JSON in, JSON out, problem+json errors as {@link AnshinError}. */
  async request<T>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...this.extraHeaders };
    const bearer = opts.bearer ?? this.token ?? this.apiKey;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const init: RequestInit = { method, headers, credentials: this.credentialsMode };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (opts.signal) init.signal = opts.signal;
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, init);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new AnshinError(0, 'network_error', `could not reach the server: ${msg}`);
    }
    if (res.ok) {
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    }
    throw await problemFrom(res);
  }

  private remember(userId: string | undefined, session: SessionToken | null | undefined): void {
    if (!this.keepSession || !session) return;
    this.token = session.token;
    if (userId) this.userId = userId;
  }

  private userPath(userId?: string): string {
    const id = userId ?? this.userId;
    if (!id) throw new TypeError('anshin: no user id (sign in first, or pass one)');
    return `/v1/users/${enc(id)}`;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Builds an {@link AnshinError} from an error answer, problem+json or not. */
export async function problemFrom(res: Response): Promise<AnshinError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* ignore */
  }
  const ra = res.headers.get('retry-after');
  const retryAfter = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : undefined;
  let problem: Problem | undefined;
  try {
    const p = JSON.parse(text) as unknown;
    if (p && typeof p === 'object' && typeof (p as Problem).code === 'string') problem = p as Problem;
  } catch {
    /* not JSON */
  }
  if (problem) {
    return new AnshinError(res.status, problem.code, typeof problem.detail === 'string' ? problem.detail : '', problem, retryAfter);
  }
  return new AnshinError(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText, undefined, retryAfter);
}
