import { describe, expect, it } from 'vitest';
import { allowedActions, parseParticipantMetadata, type ModerationActor, type ModerationTarget } from '../src/lib/roles';

const actor = (p: Partial<ModerationActor> = {}): ModerationActor => ({
  identity: 'me',
  isSuperadmin: false,
  roomRole: 'participant',
  ...p,
});
const target = (p: Partial<ModerationTarget> = {}): ModerationTarget => ({
  identity: 'them',
  isSuperadmin: false,
  roomRole: 'participant',
  onStage: false,
  micOn: true,
  cameraOn: true,
  ...p,
});

describe('participant metadata', () => {
  it('parses the server metadata', () => {
    expect(parseParticipantMetadata('{"accesses":["user","moderator"],"roomRole":"moderator","onStage":true}')).toEqual({
      accesses: ['user', 'moderator'],
      roomRole: 'moderator',
      onStage: true,
    });
  });
  it('tolerates missing or broken metadata', () => {
    expect(parseParticipantMetadata(undefined)).toEqual({ accesses: [], roomRole: 'participant', onStage: false });
    expect(parseParticipantMetadata('not json').roomRole).toBe('participant');
    expect(parseParticipantMetadata('{"roomRole":"king"}').roomRole).toBe('participant');
  });
});

describe('moderation permissions (API §3.6)', () => {
  it('plain participants get nothing', () => {
    expect(allowedActions(actor(), target())).toEqual([]);
  });

  it('nobody acts on themselves', () => {
    expect(allowedActions(actor({ isSuperadmin: true }), target({ identity: 'me' }))).toEqual([]);
  });

  it('room admin gets everything including promote', () => {
    expect(allowedActions(actor({ roomRole: 'admin' }), target())).toEqual(['mute', 'video-off', 'promote', 'kick', 'ban']);
    expect(allowedActions(actor({ roomRole: 'admin' }), target({ roomRole: 'moderator' }))).toContain('demote');
  });

  it('moderators cannot promote, nor act on moderators, superadmins or the admin', () => {
    const m = actor({ roomRole: 'moderator' });
    expect(allowedActions(m, target())).toEqual(['mute', 'video-off', 'kick', 'ban']);
    expect(allowedActions(m, target({ roomRole: 'moderator' }))).toEqual([]);
    expect(allowedActions(m, target({ isSuperadmin: true }))).toEqual([]);
    expect(allowedActions(m, target({ roomRole: 'admin' }))).toEqual([]);
  });

  it('only a superadmin acts on the room admin', () => {
    expect(allowedActions(actor({ roomRole: 'admin' }), target({ roomRole: 'admin', identity: 'other-admin' }))).toEqual([]);
    expect(allowedActions(actor({ isSuperadmin: true }), target({ roomRole: 'admin' }))).toEqual(['mute', 'video-off', 'kick', 'ban']);
  });

  it('offers mute/video-off only for live tracks and stage only outside standard rooms', () => {
    const a = actor({ roomRole: 'admin' });
    expect(allowedActions(a, target({ micOn: false, cameraOn: false }))).toEqual(['promote', 'kick', 'ban']);
    expect(allowedActions(a, target({ micOn: false, cameraOn: false }), 'webinar')).toEqual(['stage-bring', 'promote', 'kick', 'ban']);
    expect(allowedActions(a, target({ micOn: false, cameraOn: false, onStage: true }), 'broadcast')).toContain('stage-remove');
  });
});
