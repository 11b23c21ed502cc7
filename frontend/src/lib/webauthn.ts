import { base64urlToBuffer, bufferToBase64url } from './base64url';
import type {
  CreationBeginResponse,
  CreationOptionsJSON,
  CredentialDescriptorJSON,
  RequestBeginResponse,
  RequestOptionsJSON,
} from '../api/types';

/** True when this browser can run WebAuthn ceremonies at all. */
export function passkeysSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof window.PublicKeyCredential === 'function' &&
    !!navigator.credentials &&
    window.isSecureContext
  );
}

function descriptors(list: CredentialDescriptorJSON[] | undefined): PublicKeyCredentialDescriptor[] | undefined {
  return list?.map((d) => ({
    type: 'public-key',
    id: base64urlToBuffer(d.id),
    ...(d.transports ? { transports: d.transports as AuthenticatorTransport[] } : {}),
  }));
}

/** Begin response (flat or under `publicKey`) → options for navigator.credentials.create. */
export function toCreationOptions(begin: CreationBeginResponse): PublicKeyCredentialCreationOptions {
  const o: CreationOptionsJSON = begin.publicKey ?? begin;
  return {
    challenge: base64urlToBuffer(o.challenge),
    rp: o.rp,
    user: { id: base64urlToBuffer(o.user.id), name: o.user.name, displayName: o.user.displayName },
    pubKeyCredParams: o.pubKeyCredParams,
    authenticatorSelection: o.authenticatorSelection as AuthenticatorSelectionCriteria | undefined,
    timeout: o.timeout,
    attestation: (o.attestation as AttestationConveyancePreference | undefined) ?? 'none',
    excludeCredentials: descriptors(o.excludeCredentials),
  };
}

/** Begin response (flat or under `publicKey`) → options for navigator.credentials.get. */
export function toRequestOptions(begin: RequestBeginResponse): PublicKeyCredentialRequestOptions {
  const o: RequestOptionsJSON = begin.publicKey ?? begin;
  const allow = descriptors(o.allowCredentials);
  return {
    challenge: base64urlToBuffer(o.challenge),
    rpId: o.rpId,
    userVerification: o.userVerification as UserVerificationRequirement | undefined,
    timeout: o.timeout,
    ...(allow && allow.length > 0 ? { allowCredentials: allow } : {}),
  };
}

interface CredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  response: {
    clientDataJSON: ArrayBuffer;
    attestationObject?: ArrayBuffer;
    authenticatorData?: ArrayBuffer;
    signature?: ArrayBuffer;
    userHandle?: ArrayBuffer | null;
    getTransports?: () => string[];
  };
}

/** Serialises a PublicKeyCredential into the standard JSON shape plus `ceremonyId`. */
export function credentialToJSON(credential: CredentialLike, ceremonyId: string): Record<string, unknown> {
  const r = credential.response;
  const response: Record<string, unknown> = { clientDataJSON: bufferToBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = bufferToBase64url(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  }
  if (r.authenticatorData) response.authenticatorData = bufferToBase64url(r.authenticatorData);
  if (r.signature) response.signature = bufferToBase64url(r.signature);
  if (r.userHandle) response.userHandle = bufferToBase64url(r.userHandle);
  return {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: {},
    response,
    ceremonyId,
  };
}

/** Friendly text for the DOMExceptions browsers throw during ceremonies. */
export function webauthnErrorMessage(err: unknown): string | null {
  if (err instanceof DOMException) {
    if (err.name === 'NotAllowedError' || err.name === 'AbortError') {
      return 'The passkey request was cancelled or timed out.';
    }
    if (err.name === 'InvalidStateError') return 'This passkey is already registered on this device.';
    if (err.name === 'SecurityError') return 'Passkeys are not available on this address (HTTPS is required).';
    if (err.name === 'NotSupportedError') return 'This device does not support the requested passkey type.';
  }
  return null;
}

/** Runs navigator.credentials.create for a begin response; returns the finish body. */
export async function createPasskey(begin: CreationBeginResponse): Promise<Record<string, unknown>> {
  const credential = (await navigator.credentials.create({ publicKey: toCreationOptions(begin) })) as
    | (PublicKeyCredential & CredentialLike)
    | null;
  if (!credential) throw new Error('No passkey was created.');
  return credentialToJSON(credential, begin.ceremonyId);
}

/** Runs navigator.credentials.get for a begin response; returns the finish body. */
export async function getPasskey(begin: RequestBeginResponse): Promise<Record<string, unknown>> {
  const credential = (await navigator.credentials.get({ publicKey: toRequestOptions(begin) })) as
    | (PublicKeyCredential & CredentialLike)
    | null;
  if (!credential) throw new Error('No passkey was selected.');
  return credentialToJSON(credential, begin.ceremonyId);
}
