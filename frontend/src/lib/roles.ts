import type { ModerationAction, RoomMode } from '../api/types';

/** Room roles and the moderation permission table of API §3.6. */

export type RoomRole = 'admin' | 'moderator' | 'participant';

export interface ParticipantMeta {
  accesses: string[];
  roomRole: RoomRole;
  onStage: boolean;
}

/** Reads the server-set participant metadata (API §6.1); tolerant of absent or odd values. */
export function parseParticipantMetadata(raw: string | undefined | null): ParticipantMeta {
  const meta: ParticipantMeta = { accesses: [], roomRole: 'participant', onStage: false };
  if (!raw) return meta;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (Array.isArray(v.accesses)) meta.accesses = v.accesses.filter((a): a is string => typeof a === 'string');
    if (v.roomRole === 'admin' || v.roomRole === 'moderator') meta.roomRole = v.roomRole;
    else if (meta.accesses.includes('moderator')) meta.roomRole = 'moderator';
    meta.onStage = v.onStage === true;
  } catch {
    // not JSON: treat as a plain participant
  }
  return meta;
}

export interface ModerationActor {
  identity: string;
  isSuperadmin: boolean;
  roomRole: RoomRole;
}

export interface ModerationTarget {
  identity: string;
  isSuperadmin: boolean;
  roomRole: RoomRole;
  onStage: boolean;
  micOn: boolean;
  cameraOn: boolean;
}

/** True when the actor may moderate at all in this room. */
export function canModerate(actor: ModerationActor): boolean {
  return actor.isSuperadmin || actor.roomRole === 'admin' || actor.roomRole === 'moderator';
}

/**
 * The actions to offer the actor on the target, in display order. Mirrors the
 * server's checks so that offered buttons do not end in 403:
 *  - superadmin (S) and room admin (A) may do everything, moderators (M) all
 *    but promote/demote;
 *  - nobody acts on themselves; only S acts on the room admin;
 *  - a mere moderator never acts on moderators or superadmins.
 * Mute/video-off appear only for live tracks, stage only in webinar/broadcast rooms.
 */
export function allowedActions(
  actor: ModerationActor,
  target: ModerationTarget,
  mode: RoomMode = 'standard',
): ModerationAction[] {
  if (!canModerate(actor) || actor.identity === target.identity) return [];
  const isS = actor.isSuperadmin;
  const isA = isS || actor.roomRole === 'admin';
  if (target.roomRole === 'admin' && !isS) return [];
  if (!isA && (target.roomRole === 'moderator' || target.isSuperadmin)) return [];

  const actions: ModerationAction[] = [];
  if (target.micOn) actions.push('mute');
  if (target.cameraOn) actions.push('video-off');
  if (mode !== 'standard') actions.push(target.onStage ? 'stage-remove' : 'stage-bring');
  if (isA && target.roomRole !== 'admin') actions.push(target.roomRole === 'moderator' ? 'demote' : 'promote');
  actions.push('kick', 'ban');
  return actions;
}

export const ACTION_LABELS: Record<ModerationAction, string> = {
  mute: 'Mute microphone',
  'video-off': 'Turn camera off',
  'stage-bring': 'Bring on stage',
  'stage-remove': 'Remove from stage',
  promote: 'Make moderator',
  demote: 'Remove moderator',
  kick: 'Remove from meeting',
  ban: 'Ban from room',
};

export const ACTION_DONE: Record<ModerationAction, string> = {
  mute: 'Microphone muted',
  'video-off': 'Camera turned off',
  'stage-bring': 'Brought on stage',
  'stage-remove': 'Removed from stage',
  promote: 'Now a moderator',
  demote: 'No longer a moderator',
  kick: 'Removed from the meeting',
  ban: 'Banned from the room',
};

/** Actions that need an explicit confirmation. */
export const DESTRUCTIVE_ACTIONS: ReadonlySet<ModerationAction> = new Set(['kick', 'ban']);
