import { describe, expect, it } from 'vitest';
import { CHAT_MAX_LENGTH, decodeChat, decodeSystem, encodeChat, makeChatMessage } from '../src/lib/chat';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('chat wire format', () => {
  it('round-trips a message in the Bedrud shape', () => {
    const msg = makeChatMessage('  hello  ', 'Alice', 'u1');
    const wire = JSON.parse(new TextDecoder().decode(encodeChat(msg)));
    expect(wire).toMatchObject({ type: 'chat', message: 'hello', senderName: 'Alice', senderIdentity: 'u1', attachments: [] });
    expect(decodeChat(encodeChat(msg), 'chat')).toEqual(msg);
  });

  it('trusts the LiveKit sender over payload claims', () => {
    const m = decodeChat(enc({ type: 'chat', message: 'hi', senderIdentity: 'forged', senderName: 'Forged' }), 'chat', {
      identity: 'real',
      name: 'Real',
    });
    expect(m?.senderIdentity).toBe('real');
    expect(m?.senderName).toBe('Real');
  });

  it('accepts legacy text fields and rejects other packets', () => {
    expect(decodeChat(enc({ text: 'yo', sender: 'u2', timestamp: 5 }), 'chat')?.message).toBe('yo');
    expect(decodeChat(enc({ type: 'chat_chunk', part: 'x' }), 'chat')).toBeNull();
    expect(decodeChat(enc({ message: 'x' }), 'other')).toBeNull();
    expect(decodeChat(new TextEncoder().encode('garbage'), 'chat')).toBeNull();
    expect(decodeChat(enc({ type: 'chat', message: '   ' }), 'chat')).toBeNull();
  });

  it('caps the message length', () => {
    expect(makeChatMessage('x'.repeat(CHAT_MAX_LENGTH + 10), 'A', 'a').message).toHaveLength(CHAT_MAX_LENGTH);
  });

  it('decodes system messages only on the system topic', () => {
    const kick = enc({ type: 'system', event: 'kick', actor: 'u1', target: 'guest-abcd1234' });
    expect(decodeSystem(kick, 'system')).toEqual({ event: 'kick', actor: 'u1', target: 'guest-abcd1234', message: undefined });
    expect(decodeSystem(kick, 'chat')).toBeNull();
    expect(decodeSystem(enc({ type: 'system', event: 'room_closed', message: 'closed' }), 'system')?.message).toBe('closed');
  });
});
