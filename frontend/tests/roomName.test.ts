import { describe, expect, it } from 'vitest';
import { inviteLink, isValidRoomName, normalizeRoomName, parseJoinInput, roomNameError } from '../src/lib/roomName';

describe('room-name validation', () => {
  it.each(['abc', 'abc-defg-hij', 'a1b', '123', 'a-b-c', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(roomNameError(name)).toBeNull();
    expect(isValidRoomName(name)).toBe(true);
  });

  it('normalises case and surrounding spaces before checking', () => {
    expect(normalizeRoomName('  ABC-Def ')).toBe('abc-def');
    expect(isValidRoomName('  ABC-Def ')).toBe(true);
  });

  it('rejects names that are too short or too long with the server messages', () => {
    expect(roomNameError('ab')).toBe('room name must be at least 3 characters');
    expect(roomNameError('')).toBe('room name must be at least 3 characters');
    expect(roomNameError('x'.repeat(64))).toBe('room name must be at most 63 characters');
  });

  it.each(['-abc', 'abc-', 'ab--cd', 'ab_cd', 'ab cd', 'héllo', 'abc/def', 'a.b.c'])('rejects %s', (name) => {
    expect(roomNameError(name)).toBe('room name must contain only lowercase letters, numbers, and hyphens');
  });

  it('counts bytes, not characters', () => {
    // three characters but six bytes and not in the alphabet
    expect(isValidRoomName('ééé')).toBe(false);
  });
});

describe('join input parsing', () => {
  it('accepts bare names, paths and invite links', () => {
    expect(parseJoinInput('kqz-mwpa-tro')).toBe('kqz-mwpa-tro');
    expect(parseJoinInput(' KQZ-MWPA-TRO ')).toBe('kqz-mwpa-tro');
    expect(parseJoinInput('/m/kqz-mwpa-tro')).toBe('kqz-mwpa-tro');
    expect(parseJoinInput('https://meet.example.com/m/kqz-mwpa-tro?x=1#y')).toBe('kqz-mwpa-tro');
    expect(parseJoinInput('meet.example.com/m/team-sync')).toBe('team-sync');
  });

  it('rejects links that are not meeting links and invalid names', () => {
    expect(parseJoinInput('https://example.com/other')).toBeNull();
    expect(parseJoinInput('')).toBeNull();
    expect(parseJoinInput('no way')).toBeNull();
    expect(parseJoinInput('/m/a')).toBeNull();
  });

  it('builds invite links', () => {
    expect(inviteLink('abc-def', 'https://meet.example.com')).toBe('https://meet.example.com/m/abc-def');
  });
});
