import type { ApiClient } from './client';
import type {
  CreationBeginResponse,
  LoginResponse,
  MessageResponse,
  Passkey,
  PublicSettings,
  RequestBeginResponse,
  UpdateMeResponse,
  User,
} from './types';

/** Authentication, profile and passkey endpoints (API §3.2–3.4). */
export function authEndpoints(c: ApiClient) {
  return {
    settings: () => c.get<PublicSettings>('/api/auth/settings', { auth: 'none' }),
    login: (email: string, password: string) =>
      c.post<LoginResponse>('/api/auth/login', { email, password }, { auth: 'none' }),
    register: (name: string, email: string, password: string) =>
      c.post<LoginResponse>('/api/auth/register', { name, email, password }, { auth: 'none' }),
    guestLogin: (name: string) => c.post<LoginResponse>('/api/auth/guest-login', { name }, { auth: 'none' }),
    logout: () => c.post<MessageResponse>('/api/auth/logout', {}),
    me: () => c.get<User>('/api/auth/me'),
    updateMe: (body: { name: string; email?: string }) => c.put<UpdateMeResponse>('/api/auth/me', body),
    changePassword: (body: { currentPassword?: string; newPassword: string }) =>
      c.put<MessageResponse>('/api/auth/password', body),

    passkeys: () => c.get<Passkey[]>('/api/auth/passkeys'),
    deletePasskey: (id: string) => c.delete<MessageResponse>(`/api/auth/passkeys/${encodeURIComponent(id)}`),
    passkeyRegisterBegin: () => c.post<CreationBeginResponse>('/api/auth/passkey/register/begin', {}),
    passkeyRegisterFinish: (credential: object) =>
      c.post<MessageResponse>('/api/auth/passkey/register/finish', credential),
    passkeyLoginBegin: (email?: string) =>
      c.post<RequestBeginResponse>('/api/auth/passkey/login/begin', email ? { email } : {}, { auth: 'none' }),
    passkeyLoginFinish: (credential: object) =>
      c.post<LoginResponse>('/api/auth/passkey/login/finish', credential, { auth: 'none' }),
    passkeySignupBegin: (email: string, name: string) =>
      c.post<CreationBeginResponse>('/api/auth/passkey/signup/begin', { email, name }, { auth: 'none' }),
    passkeySignupFinish: (credential: object) =>
      c.post<LoginResponse>('/api/auth/passkey/signup/finish', credential, { auth: 'none' }),
  };
}

/** Where the browser goes to start an OAuth login (full-page navigation, not fetch). */
export function oauthLoginUrl(provider: string, redirect?: string | null): string {
  const base = `/api/auth/${encodeURIComponent(provider)}/login`;
  return redirect ? `${base}?redirect=${encodeURIComponent(redirect)}` : base;
}
