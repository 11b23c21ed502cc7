import { describe, expect, it } from 'vitest';
import { base64urlToBuffer, base64urlToString, bufferToBase64url, stringToBase64url } from '../src/lib/base64url';

const bytes = (...v: number[]) => new Uint8Array(v);

describe('base64url', () => {
  it('encodes without padding using the URL alphabet', () => {
    expect(bufferToBase64url(bytes(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(bufferToBase64url(bytes(1))).toBe('AQ');
    expect(bufferToBase64url(bytes(1, 2))).toBe('AQI');
    expect(bufferToBase64url(new Uint8Array(0))).toBe('');
  });

  it('encodes ArrayBuffers and views with an offset', () => {
    const buf = bytes(9, 1, 2, 3, 9);
    expect(bufferToBase64url(buf.buffer)).toBe('CQECAwk');
    expect(bufferToBase64url(new Uint8Array(buf.buffer, 1, 3))).toBe('AQID');
  });

  it('decodes padded, unpadded and standard-alphabet input', () => {
    expect(new Uint8Array(base64urlToBuffer('-_-_'))).toEqual(bytes(0xfb, 0xff, 0xbf));
    expect(new Uint8Array(base64urlToBuffer('AQ'))).toEqual(bytes(1));
    expect(new Uint8Array(base64urlToBuffer('AQ=='))).toEqual(bytes(1));
    expect(new Uint8Array(base64urlToBuffer('+/+/'))).toEqual(bytes(0xfb, 0xff, 0xbf));
  });

  it('round-trips random data of every length', () => {
    for (let n = 0; n < 70; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 37 + n * 11) & 0xff);
      expect(new Uint8Array(base64urlToBuffer(bufferToBase64url(data)))).toEqual(data);
    }
  });

  it('round-trips UTF-8 strings (user ids)', () => {
    const id = '9b2c1f7e-0000-4000-8000-000000000001';
    expect(base64urlToString(stringToBase64url(id))).toBe(id);
    expect(base64urlToString(stringToBase64url('héllo ✓'))).toBe('héllo ✓');
  });

  it('rejects malformed input', () => {
    expect(() => base64urlToBuffer('abc$')).toThrow();
    expect(() => base64urlToBuffer('A')).toThrow();
  });
});
