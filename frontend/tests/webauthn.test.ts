import { describe, expect, it } from 'vitest';
import { bufferToBase64url, stringToBase64url } from '../src/lib/base64url';
import { credentialToJSON, toCreationOptions, toRequestOptions } from '../src/lib/webauthn';
import type { CreationBeginResponse, RequestBeginResponse } from '../src/api/types';

const b = (...v: number[]) => new Uint8Array(v).buffer;

const creation: CreationBeginResponse = {
  ceremonyId: 'cer-1',
  challenge: bufferToBase64url(b(1, 2, 3, 4)),
  rp: { id: 'meet.example.com', name: 'meet.example.com' },
  user: { id: stringToBase64url('user-1'), name: 'alice@example.com', displayName: 'Alice' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
  timeout: 300000,
  attestation: 'none',
  excludeCredentials: [{ type: 'public-key', id: bufferToBase64url(b(9, 9)) }],
};

describe('webauthn conversions', () => {
  it('converts creation options to ArrayBuffers (flat form)', () => {
    const o = toCreationOptions(creation);
    expect(new Uint8Array(o.challenge as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(new TextDecoder().decode(o.user.id as ArrayBuffer)).toBe('user-1');
    expect(new Uint8Array(o.excludeCredentials![0].id as ArrayBuffer)).toEqual(new Uint8Array([9, 9]));
    expect(o.rp.id).toBe('meet.example.com');
  });

  it('prefers the standard publicKey object when present', () => {
    const o = toCreationOptions({ ...creation, publicKey: { ...creation, challenge: bufferToBase64url(b(7)) } });
    expect(new Uint8Array(o.challenge as ArrayBuffer)).toEqual(new Uint8Array([7]));
  });

  it('converts request options and drops an empty allow list (discoverable login)', () => {
    const begin: RequestBeginResponse = {
      ceremonyId: 'c2',
      challenge: 'AQID',
      rpId: 'meet.example.com',
      userVerification: 'preferred',
      timeout: 1000,
      allowCredentials: [],
    };
    const o = toRequestOptions(begin);
    expect(o.allowCredentials).toBeUndefined();
    expect(o.rpId).toBe('meet.example.com');
    const withAllow = toRequestOptions({ ...begin, allowCredentials: [{ type: 'public-key', id: 'AQ' }] });
    expect(withAllow.allowCredentials).toHaveLength(1);
  });

  it('serialises an assertion into standard PublicKeyCredential JSON with ceremonyId', () => {
    const body = credentialToJSON(
      {
        id: 'AQI',
        rawId: b(1, 2),
        type: 'public-key',
        response: { clientDataJSON: b(3), authenticatorData: b(4), signature: b(5), userHandle: b(6) },
      },
      'cer-9',
    );
    expect(body).toEqual({
      id: 'AQI',
      rawId: 'AQI',
      type: 'public-key',
      authenticatorAttachment: null,
      clientExtensionResults: {},
      response: { clientDataJSON: 'Aw', authenticatorData: 'BA', signature: 'BQ', userHandle: 'Bg' },
      ceremonyId: 'cer-9',
    });
  });

  it('serialises an attestation with transports', () => {
    const body = credentialToJSON(
      {
        id: 'x',
        rawId: b(1),
        type: 'public-key',
        response: { clientDataJSON: b(1), attestationObject: b(2), getTransports: () => ['internal'] },
      },
      'c',
    );
    expect(body.response).toEqual({ clientDataJSON: 'AQ', attestationObject: 'Ag', transports: ['internal'] });
  });
});
