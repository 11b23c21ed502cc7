import type { ApiClient, Query } from './client';
import type { AdminRoomList, AdminRoomToken, AdminUserDetail, AdminUserList, MessageResponse } from './types';

export interface AdminUserQuery extends Query {
  page?: number;
  limit?: number;
  q?: string;
  provider?: string;
  role?: string;
  status?: string;
  verified?: string;
  created?: string;
  sort?: string;
  order?: string;
}

export interface AdminRoomQuery extends Query {
  page?: number;
  limit?: number;
  q?: string;
  owner?: string;
  visibility?: string;
  status?: string;
  occupancy?: string;
  capacity?: string;
  created?: string;
  sort?: string;
  order?: string;
}

/** Superadmin endpoints (API §3.8–3.9). */
export function adminEndpoints(c: ApiClient) {
  const id = (v: string) => encodeURIComponent(v);
  return {
    users: (query: AdminUserQuery) => c.get<AdminUserList>('/api/admin/users', { query }),
    user: (userId: string) => c.get<AdminUserDetail>(`/api/admin/users/${id(userId)}`),
    setStatus: (userId: string, active: boolean) =>
      c.put<MessageResponse>(`/api/admin/users/${id(userId)}/status`, { active }),
    setAccesses: (userId: string, accesses: string[]) =>
      c.put<MessageResponse>(`/api/admin/users/${id(userId)}/accesses`, { accesses }),
    forceLogout: (userId: string) => c.post<MessageResponse>(`/api/admin/users/${id(userId)}/force-logout`, {}),
    rooms: (query: AdminRoomQuery) => c.get<AdminRoomList>('/api/admin/rooms', { query }),
    closeRoom: (roomId: string) => c.delete<MessageResponse>(`/api/admin/rooms/${id(roomId)}`),
    roomToken: (roomId: string, body: { userId?: string; duration?: number; hidden?: boolean } = {}) =>
      c.post<AdminRoomToken>(`/api/admin/rooms/${id(roomId)}/token`, body),
  };
}
