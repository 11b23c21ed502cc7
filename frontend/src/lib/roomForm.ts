import { DEFAULT_ROOM_SETTINGS, type CreateRoomRequest, type Room, type RoomMode, type RoomSettings, type UpdateRoomRequest } from '../api/types';
import { normalizeRoomName, roomNameError } from './roomName';

/** Form model shared by "create room" and "edit room settings". */
export interface RoomFormValue {
  name: string;
  isPublic: boolean;
  maxParticipants: number;
  mode: RoomMode;
  settings: RoomSettings;
}

export function emptyRoomForm(): RoomFormValue {
  return { name: '', isPublic: false, maxParticipants: 0, mode: 'standard', settings: { ...DEFAULT_ROOM_SETTINGS } };
}

export function roomToForm(room: Room): RoomFormValue {
  return {
    name: room.name,
    isPublic: room.isPublic,
    maxParticipants: room.maxParticipants,
    mode: room.mode ?? 'standard',
    settings: { ...DEFAULT_ROOM_SETTINGS, ...room.settings },
  };
}

function cleanMax(n: unknown): number {
  const v = Math.floor(Number(n));
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** Client-side check before create; `null` when the form may be sent. */
export function createFormError(form: RoomFormValue): string | null {
  return form.name.trim() ? roomNameError(form.name) : null;
}

export function formToCreate(form: RoomFormValue, canSetPersistent: boolean): CreateRoomRequest {
  const body: CreateRoomRequest = {
    isPublic: form.isPublic,
    maxParticipants: cleanMax(form.maxParticipants),
    mode: form.mode,
    settings: { ...form.settings, isPersistent: canSetPersistent && form.settings.isPersistent },
  };
  const name = normalizeRoomName(form.name);
  if (name) body.name = name;
  return body;
}

export function formToUpdate(form: RoomFormValue, canSetPersistent: boolean): UpdateRoomRequest {
  const { isPersistent, ...rest } = form.settings;
  return {
    isPublic: form.isPublic,
    maxParticipants: cleanMax(form.maxParticipants),
    settings: canSetPersistent ? { ...rest, isPersistent } : rest,
  };
}
