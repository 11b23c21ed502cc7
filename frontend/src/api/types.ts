/** Wire types of the Bedrud REST API (shared/API.md §4). */

export type Access = 'superadmin' | 'admin' | 'moderator' | 'user' | 'guest';
export const ALL_ACCESSES: Access[] = ['superadmin', 'admin', 'moderator', 'user', 'guest'];

export interface User {
  id: string;
  email: string;
  name: string;
  avatarUrl: string;
  provider: string;
  accesses: string[];
  isActive: boolean;
  emailVerifiedAt: string | null;
  passwordChangedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface LoginResponse {
  user: User;
  tokens: TokenPair;
}

export interface MessageResponse {
  message: string;
}

export interface PublicSettings {
  serverName: string;
  registrationEnabled: boolean;
  tokenRegistrationOnly: boolean;
  guestLoginEnabled: boolean;
  passkeysEnabled: boolean;
  oauthProviders: string[];
  requireEmailVerification: boolean;
  chatMaxMessageCount?: number;
  chatMessageTTLHours?: number;
  recordingsEnabled?: boolean;
}

export interface UpdateMeResponse {
  id: string;
  name: string;
  email: string;
  provider: string;
  accesses: string[];
  avatarUrl: string;
  tokens?: TokenPair;
}

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export type RoomMode = 'standard' | 'webinar' | 'broadcast';

export interface RoomSettings {
  allowChat: boolean;
  allowVideo: boolean;
  allowAudio: boolean;
  requireApproval: boolean;
  e2ee: boolean;
  isPersistent: boolean;
  recordingsAllowed: boolean;
}

export const DEFAULT_ROOM_SETTINGS: RoomSettings = {
  allowChat: true,
  allowVideo: true,
  allowAudio: true,
  requireApproval: false,
  e2ee: false,
  isPersistent: false,
  recordingsAllowed: false,
};

export interface Room {
  id: string;
  name: string;
  createdBy: string;
  adminId: string;
  isActive: boolean;
  isPublic: boolean;
  maxParticipants: number;
  mode: RoomMode;
  settings: RoomSettings;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  lastActivityAt: string | null;
  deletedAt?: string;
  livekitHost?: string;
}

export interface CreateRoomRequest {
  name?: string;
  maxParticipants?: number;
  isPublic?: boolean;
  mode?: RoomMode;
  settings?: Partial<RoomSettings>;
}

export interface UpdateRoomRequest {
  isPublic?: boolean;
  maxParticipants?: number;
  settings?: Partial<RoomSettings>;
}

export interface JoinRoomResponse {
  id: string;
  name: string;
  token: string;
  createdBy: string;
  adminId: string;
  isActive: boolean;
  isPublic: boolean;
  maxParticipants: number;
  expiresAt: string;
  settings: RoomSettings;
  livekitHost: string;
  mode: RoomMode;
  activeRecordingId: string;
}

export interface ArchivedOwnedResponse {
  status: 'archived_owned';
  name: string;
  mode: RoomMode;
  settings: RoomSettings;
}

export interface GuestJoinResponse {
  id: string;
  name: string;
  token: string;
  adminId: string;
  isPublic: boolean;
  livekitHost: string;
  activeRecordingId: string;
  accessToken: string;
  refreshToken: string;
  tokens?: TokenPair;
}

export interface RoomCheckResponse {
  exists: boolean;
  name: string;
}

export interface PresenceParticipant {
  identity: string;
  name: string;
  avatarUrl: string;
}

export type ModerationAction =
  | 'kick'
  | 'mute'
  | 'ban'
  | 'video-off'
  | 'promote'
  | 'demote'
  | 'stage-bring'
  | 'stage-remove';

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  provider: string;
  isActive: boolean;
  isAdmin: boolean;
  accesses: string[];
  emailVerifiedAt?: string;
  createdAt: string;
}

export interface AdminUserDetail extends User {
  isAdmin: boolean;
  activeSessions: number;
  lastSeenAt: string | null;
}

export interface AdminUserList {
  users: AdminUser[];
  total: number;
  page: number;
  limit: number;
}

export interface AdminRoom extends Room {
  participantsCount: number;
  ownerName: string;
  ownerEmail: string;
}

export interface AdminRoomList {
  rooms: AdminRoom[];
  total: number;
  page: number;
  limit: number;
}

export interface AdminRoomToken {
  token: string;
  livekitHost: string;
}

/** WebAuthn begin responses: options flat and under `publicKey` (API §3.4). */
export interface CredentialDescriptorJSON {
  type: 'public-key';
  id: string;
  transports?: string[];
}

export interface CreationOptionsJSON {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  authenticatorSelection?: {
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
    authenticatorAttachment?: string;
  };
  timeout?: number;
  attestation?: string;
  excludeCredentials?: CredentialDescriptorJSON[];
}

export interface RequestOptionsJSON {
  challenge: string;
  rpId?: string;
  userVerification?: string;
  timeout?: number;
  allowCredentials?: CredentialDescriptorJSON[];
}

export type CreationBeginResponse = CreationOptionsJSON & {
  ceremonyId: string;
  publicKey?: CreationOptionsJSON;
};

export type RequestBeginResponse = RequestOptionsJSON & {
  ceremonyId: string;
  publicKey?: RequestOptionsJSON;
};
