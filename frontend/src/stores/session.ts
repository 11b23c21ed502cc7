import { derived, get, writable, type Readable } from 'svelte/store';
import type { ApiClient } from '../api/client';
import { authEndpoints } from '../api/auth';
import type { LoginResponse, User } from '../api/types';

export type SessionStatus = 'loading' | 'authenticated' | 'anonymous';

export interface SessionState {
  status: SessionStatus;
  user: User | null;
  /** Set when the server ended the session (refresh refused); cleared on the next sign-in. */
  expired: boolean;
}

export interface SessionOptions {
  /** Runs after the session expired mid-use (e.g. to send the user to sign-in). */
  onExpired?: () => void;
}

export type Session = ReturnType<typeof createSession>;

export function hasAccess(user: User | null | undefined, access: string): boolean {
  return !!user && Array.isArray(user.accesses) && user.accesses.includes(access);
}

export function isGuestUser(user: User | null | undefined): boolean {
  return !!user && (user.provider === 'guest' || hasAccess(user, 'guest'));
}

/**
 * Session state. The access token lives in the API client's memory only; on
 * page load `init()` asks POST /api/auth/refresh (refresh cookie) for one.
 */
export function createSession(client: ApiClient, options: SessionOptions = {}) {
  const auth = authEndpoints(client);
  const state = writable<SessionState>({ status: 'loading', user: null, expired: false });

  client.onSessionExpired = () => {
    const wasSignedIn = get(state).status === 'authenticated';
    state.set({ status: 'anonymous', user: null, expired: true });
    if (wasSignedIn) options.onExpired?.();
  };

  let initPromise: Promise<void> | null = null;

  async function loadUser(): Promise<User | null> {
    const user = await auth.me();
    state.set({ status: 'authenticated', user, expired: false });
    return user;
  }

  async function doInit(): Promise<void> {
    try {
      if (!(await client.refresh())) {
        state.set({ status: 'anonymous', user: null, expired: false });
        return;
      }
      await loadUser();
    } catch {
      client.clearTokens();
      state.set({ status: 'anonymous', user: null, expired: false });
    }
  }

  const isAuthenticated: Readable<boolean> = derived(state, ($s) => $s.status === 'authenticated');
  const user: Readable<User | null> = derived(state, ($s) => $s.user);
  const isSuperadmin: Readable<boolean> = derived(state, ($s) => hasAccess($s.user, 'superadmin'));
  const isGuest: Readable<boolean> = derived(state, ($s) => isGuestUser($s.user));

  return {
    subscribe: state.subscribe,
    user,
    isAuthenticated,
    isSuperadmin,
    isGuest,

    /** Restores a session from the refresh cookie (once; later calls share the result). */
    init(): Promise<void> {
      if (!initPromise) initPromise = doInit();
      return initPromise;
    },

    /** Adopts a LoginResponse (login, register, guest-login, passkey). Refresh stays in the cookie. */
    signIn(response: LoginResponse): void {
      initPromise ??= Promise.resolve();
      client.setTokens({ accessToken: response.tokens.accessToken, refreshToken: null });
      state.set({ status: 'authenticated', user: response.user, expired: false });
    },

    /**
     * Adopts tokens handed out without cookies (guest-join), keeping the refresh
     * token in memory for later refreshes, then loads the profile.
     */
    async adoptTokens(accessToken: string, refreshToken: string | null): Promise<void> {
      initPromise ??= Promise.resolve();
      client.setTokens({ accessToken, refreshToken });
      try {
        await loadUser();
      } catch {
        // The meeting works without the profile; keep the tokens.
      }
    },

    /** Replaces the access token (e.g. after an email change issued a new pair). */
    setAccessToken(accessToken: string): void {
      client.setTokens({ accessToken });
    },

    updateUser(patch: Partial<User>): void {
      state.update((s) => (s.user ? { ...s, user: { ...s.user, ...patch } } : s));
    },

    reloadUser: loadUser,

    /** POST /api/auth/logout (best effort; it clears the cookies), then forget everything. */
    async signOut(): Promise<void> {
      const previous = client.onSessionExpired;
      client.onSessionExpired = undefined;
      try {
        if (get(state).status === 'authenticated') await auth.logout();
      } catch {
        // Signing out locally must work even when the server call fails.
      } finally {
        client.onSessionExpired = previous;
        client.clearTokens();
        state.set({ status: 'anonymous', user: null, expired: false });
      }
    },
  };
}
