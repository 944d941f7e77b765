/** Request and answer types of the anshin HTTP API (see the server's `/openapi.json`). */

/** WebAuthn Level 3 JSON forms, as the server sends and expects them. Binary values are base64url. */
export interface PublicKeyCredentialDescriptorJSON {
  type: 'public-key' | string;
  id: string;
  transports?: string[];
}

export interface PublicKeyCredentialCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: 'public-key' | string; alg: number }[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: string;
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
  };
  hints?: string[];
  attestation?: string;
  attestationFormats?: string[];
  extensions?: Record<string, unknown>;
}

export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptorJSON[];
  userVerification?: string;
  hints?: string[];
  extensions?: Record<string, unknown>;
}

export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key' | string;
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData?: string;
    transports?: string[];
    publicKey?: string;
    publicKeyAlgorithm?: number;
  };
}

export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key' | string;
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string | null;
  };
}

/** Client context, when a backend relays a call for an end user (API key only). */
export interface ClientContext {
  ip?: string;
  user_agent?: string;
  device_id?: string;
}

export interface RegistrationOptionsRequest {
  /** `{name, display_name}` for open sign-up; `{}` with a session token; `{id}` with an API key. */
  user: { id?: string; name?: string; display_name?: string };
  attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  authenticator_attachment?: 'platform' | 'cross-platform';
  resident_key?: 'discouraged' | 'preferred' | 'required';
  user_verification?: 'discouraged' | 'preferred' | 'required';
  hints?: string[];
  /** `conditional` for an automatic passkey upgrade (conditional create). */
  mediation?: 'conditional';
}

export interface CeremonyOptions<P> {
  ceremony_id: string;
  publicKey: P;
  mediation?: string | null;
}
export type RegistrationOptions = CeremonyOptions<PublicKeyCredentialCreationOptionsJSON>;
export type AuthenticationOptions = CeremonyOptions<PublicKeyCredentialRequestOptionsJSON>;

export interface RegistrationVerifyRequest {
  ceremony_id: string;
  credential: RegistrationResponseJSON;
  nickname?: string;
}

export interface AttestationView {
  format: string;
  type: string;
  trusted: boolean;
}

/** A passkey as the API shows it. */
export interface UserView {
  id: string;
  name: string;
  display_name: string;
  /** E.164, for the SMS fallback. */
  phone?: string | null;
  /** The WebAuthn user handle, base64url. */
  user_handle: string;
  /** Unix seconds. */
  created_at: number;
}

export interface CredentialView {
  id: string;
  aaguid: string;
  /** Provider name from the AAGUID, when known. */
  authenticator?: string | null;
  backup_eligible: boolean;
  backup_state: boolean;
  transports: string[];
  attestation: AttestationView;
  /** Unix seconds. */
  created_at: number;
  last_used_at?: number | null;
  nickname?: string | null;
  discoverable?: boolean | null;
}

export interface SessionToken {
  token: string;
  session_id: string;
  /** Unix seconds. */
  expires_at: number;
}

export interface RiskReason {
  code: string;
  rule_id?: string;
  mode?: string;
  values?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface RiskView {
  decision_id: string;
  action: 'allow' | 'step_up' | 'deny' | string;
  level: string;
  score: number;
  reasons: RiskReason[];
  policy_version: string;
  required_acr?: string | null;
  max_age?: number | null;
  allowed_methods?: string[];
  obligations?: Record<string, unknown>[];
}

export interface RegistrationVerified {
  user_id: string;
  credential: CredentialView;
  /** A session, when the registration signed a new user up. */
  session?: SessionToken | null;
}

export interface AuthenticationOptionsRequest {
  username?: string;
  mediation?: 'conditional';
  user_verification?: 'discouraged' | 'preferred' | 'required';
}

export interface AuthenticationVerifyRequest {
  ceremony_id: string;
  credential: AuthenticationResponseJSON;
  context?: ClientContext;
}

export interface AuthenticationVerified {
  user_id: string;
  credential_id: string;
  session: SessionToken;
  acr: string;
  amr: string[];
  user_verified: boolean;
  risk: RiskView;
}

export interface StepUpOptionsRequest {
  /** The sensitive action the step-up is for (`change_phone`...), decided by the risk engine. */
  action?: string;
}

export interface StepUpVerifyRequest {
  ceremony_id: string;
  credential: AuthenticationResponseJSON;
}

export interface SteppedUp {
  session: SessionToken;
  acr: string;
  amr: string[];
  /** Unix seconds. */
  auth_time: number;
  risk?: RiskView | null;
}

export interface FallbackOptionsRequest {
  username: string;
  context?: ClientContext;
}

export interface FallbackOptions {
  /** In order: `passkey`, `passkey_other_device`, `sms`, `recovery`. */
  allowed_methods: string[];
  risk: RiskView;
}

export interface SmsSendRequest {
  username: string;
  context?: ClientContext;
}

export interface SmsSent {
  otp_id: string;
  /** Unix seconds. */
  expires_at: number;
}

export interface SmsVerifyRequest {
  otp_id: string;
  code: string;
  context?: ClientContext;
}

export interface SmsVerified {
  user_id: string;
  session: SessionToken;
  acr: string;
  amr: string[];
  /** Offer to register a passkey now, with this session (the nudge). */
  enroll_passkey: boolean;
}
