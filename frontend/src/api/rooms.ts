import type { ApiClient } from './client';
import type {
  ArchivedOwnedResponse,
  CreateRoomRequest,
  GuestJoinResponse,
  JoinRoomResponse,
  MessageResponse,
  ModerationAction,
  PresenceParticipant,
  Room,
  RoomCheckResponse,
  UpdateRoomRequest,
} from './types';

const MODERATION_PATHS: Record<ModerationAction, (identity: string) => string> = {
  kick: (i) => `kick/${i}`,
  mute: (i) => `mute/${i}`,
  ban: (i) => `ban/${i}`,
  'video-off': (i) => `video/${i}/off`,
  promote: (i) => `promote/${i}`,
  demote: (i) => `demote/${i}`,
  'stage-bring': (i) => `stage/${i}/bring`,
  'stage-remove': (i) => `stage/${i}/remove`,
};

export function moderationPath(roomId: string, action: ModerationAction, identity: string): string {
  return `/api/room/${encodeURIComponent(roomId)}/${MODERATION_PATHS[action](encodeURIComponent(identity))}`;
}

export function isArchivedOwned(r: JoinRoomResponse | ArchivedOwnedResponse): r is ArchivedOwnedResponse {
  return (r as ArchivedOwnedResponse).status === 'archived_owned';
}

/** Room endpoints (API §3.5–3.6). */
export function roomEndpoints(c: ApiClient) {
  const id = (roomId: string) => encodeURIComponent(roomId);
  return {
    create: (body: CreateRoomRequest) => c.post<Room>('/api/room/create', body),
    join: (roomName: string) => c.post<JoinRoomResponse | ArchivedOwnedResponse>('/api/room/join', { roomName }),
    guestJoin: (roomName: string, guestName: string) =>
      c.post<GuestJoinResponse>('/api/room/guest-join', { roomName, guestName }, { auth: 'none' }),
    check: (roomName: string) =>
      c.get<RoomCheckResponse>(`/api/room/check/${encodeURIComponent(roomName)}`, { auth: 'none' }),
    refreshToken: (roomName: string) => c.post<{ token: string }>('/api/room/refresh-token', { roomName }),
    list: () => c.get<Room[]>('/api/room/list'),
    archived: () => c.get<Room[]>('/api/room/archived'),
    remove: (roomId: string) => c.delete<MessageResponse>(`/api/room/${id(roomId)}`),
    updateSettings: (roomId: string, body: UpdateRoomRequest) => c.put<Room>(`/api/room/${id(roomId)}/settings`, body),
    presence: (roomId: string) =>
      c.get<{ participants: PresenceParticipant[] }>(`/api/room/${id(roomId)}/presence`, { auth: 'optional' }),
    presenceCount: (roomId: string) =>
      c.get<{ count: number }>(`/api/room/${id(roomId)}/presence`, { auth: 'optional', query: { countOnly: 1 } }),
    moderate: (roomId: string, action: ModerationAction, identity: string) =>
      c.post<{ status: string }>(moderationPath(roomId, action, identity), {}),
  };
}
