import { get } from 'svelte/store';
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../src/api/client';
import { createSession, hasAccess, isGuestUser } from '../src/stores/session';
import { json, mockFetch, USER } from './helpers';

function setup(routes: Parameters<typeof mockFetch>[0]) {
  const m = mockFetch(routes);
  const client = new ApiClient({ fetch: m.fetch, refreshRetryDelayMs: 0 });
  const onExpired = vi.fn();
  const session = createSession(client, { onExpired });
  return { client, session, calls: m.calls, onExpired };
}

describe('session store', () => {
  it('starts loading, then restores a session from the refresh cookie', async () => {
    const { session, client, calls } = setup({
      'POST /api/auth/refresh': () => json(200, { access_token: 'a1', refresh_token: 'r1', accessToken: 'a1', refreshToken: 'r1' }),
      'GET /api/auth/me': () => json(200, USER),
    });
    expect(get(session).status).toBe('loading');
    await session.init();
    expect(get(session)).toEqual({ status: 'authenticated', user: USER, expired: false });
    expect(get(session.isAuthenticated)).toBe(true);
    expect(client.token).toBe('a1');
    expect(calls[1].headers.authorization).toBe('Bearer a1');
  });

  it('becomes anonymous when there is no refresh cookie, without the expiry callback', async () => {
    const { session, onExpired, calls } = setup({
      'POST /api/auth/refresh': () => json(400, { error: 'No refresh token provided' }),
    });
    await session.init();
    await session.init(); // shared, no second request
    expect(get(session).status).toBe('anonymous');
    expect(onExpired).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
  });

  it('becomes anonymous when the server is unreachable at start-up', async () => {
    const client = new ApiClient({
      fetch: vi.fn(async () => {
        throw new TypeError('offline');
      }) as unknown as typeof fetch,
    });
    const session = createSession(client);
    await session.init();
    expect(get(session).status).toBe('anonymous');
  });

  it('signIn keeps the access token in memory only and exposes the user', async () => {
    const { session, client, calls } = setup({ 'GET /api/room/list': () => json(200, []) });
    session.signIn({ user: { ...USER, accesses: ['user', 'superadmin'] }, tokens: { accessToken: 'a9', refreshToken: 'r9' } });
    expect(get(session).status).toBe('authenticated');
    expect(get(session.isSuperadmin)).toBe(true);
    expect(get(session.isGuest)).toBe(false);
    expect(client.token).toBe('a9');
    await client.get('/api/room/list');
    expect(calls[0].headers.authorization).toBe('Bearer a9');
  });

  it('signOut calls logout with the Bearer header and clears state', async () => {
    const { session, client, calls } = setup({
      'POST /api/auth/logout': () => json(200, { message: 'Successfully logged out' }),
    });
    session.signIn({ user: USER, tokens: { accessToken: 'a1', refreshToken: 'r1' } });
    await session.signOut();
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers.authorization).toBe('Bearer a1');
    expect(get(session)).toEqual({ status: 'anonymous', user: null, expired: false });
    expect(client.token).toBeNull();
  });

  it('signOut still clears local state when logout fails', async () => {
    const { session, onExpired } = setup({
      'POST /api/auth/logout': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(401, { error: 'Invalid or expired refresh token' }),
    });
    session.signIn({ user: USER, tokens: { accessToken: 'a1', refreshToken: 'r1' } });
    await session.signOut();
    expect(get(session).status).toBe('anonymous');
    expect(onExpired).not.toHaveBeenCalled();
  });

  it('marks the session expired and calls onExpired when a refresh fails mid-use', async () => {
    const { session, client, onExpired } = setup({
      'GET /api/room/list': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(401, { error: 'Invalid or expired refresh token' }),
    });
    session.signIn({ user: USER, tokens: { accessToken: 'a1', refreshToken: 'r1' } });
    await expect(client.get('/api/room/list')).rejects.toMatchObject({ status: 401 });
    expect(get(session)).toEqual({ status: 'anonymous', user: null, expired: true });
    expect(onExpired).toHaveBeenCalledTimes(1);
  });

  it('adoptTokens (guest-join) keeps the refresh token for cookie-less refreshes and loads the profile', async () => {
    const guest = { ...USER, id: 'guest-abcd1234', provider: 'guest', accesses: ['guest'] };
    const { session, calls } = setup({ 'GET /api/auth/me': () => json(200, guest) });
    await session.adoptTokens('ga', 'gr');
    expect(get(session).user).toEqual(guest);
    expect(get(session.isGuest)).toBe(true);
    expect(calls[0].headers.authorization).toBe('Bearer ga');
  });

  it('updateUser patches the current user only', () => {
    const { session } = setup({});
    session.updateUser({ name: 'Nobody' });
    expect(get(session).user).toBeNull();
    session.signIn({ user: USER, tokens: { accessToken: 'a', refreshToken: 'r' } });
    session.updateUser({ name: 'Alice B' });
    expect(get(session).user?.name).toBe('Alice B');
  });

  it('role helpers', () => {
    expect(hasAccess(USER, 'user')).toBe(true);
    expect(hasAccess(USER, 'superadmin')).toBe(false);
    expect(hasAccess(null, 'user')).toBe(false);
    expect(isGuestUser({ ...USER, provider: 'guest' })).toBe(true);
    expect(isGuestUser(USER)).toBe(false);
  });
});
