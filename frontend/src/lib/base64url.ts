/**
 * base64url helpers (RFC 4648 §5) for WebAuthn. Decoding accepts padded and
 * unpadded input as well as the standard alphabet (`+`, `/`), because the
 * server accepts and may emit either form.
 */

function toBytes(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/** Encodes bytes as unpadded base64url. */
export function bufferToBase64url(input: ArrayBuffer | ArrayBufferView): string {
  const bytes = toBytes(input);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url (or base64) into a fresh ArrayBuffer; throws on malformed input. */
export function base64urlToBuffer(input: string): ArrayBuffer {
  const cleaned = input.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(cleaned) || cleaned.length % 4 === 1) {
    throw new Error('Invalid base64url string');
  }
  const padded = cleaned + '='.repeat((4 - (cleaned.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** UTF-8 string → base64url. */
export function stringToBase64url(text: string): string {
  return bufferToBase64url(new TextEncoder().encode(text));
}

/** base64url → UTF-8 string. */
export function base64urlToString(input: string): string {
  return new TextDecoder().decode(base64urlToBuffer(input));
}
