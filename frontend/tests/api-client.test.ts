import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, SESSION_EXPIRED, errorMessage } from '../src/api/client';
import { roomEndpoints, moderationPath } from '../src/api/rooms';
import { authEndpoints, oauthLoginUrl } from '../src/api/auth';
import { json, mockFetch } from './helpers';

function client(routes: Parameters<typeof mockFetch>[0], token: string | null = 'access-1') {
  const m = mockFetch(routes);
  const onSessionExpired = vi.fn();
  const c = new ApiClient({ fetch: m.fetch, onSessionExpired, refreshRetryDelayMs: 0 });
  if (token) c.setTokens({ accessToken: token });
  return { c, calls: m.calls, onSessionExpired };
}

describe('ApiClient: headers and bodies', () => {
  it('sends the access token as a Bearer header on mutations', async () => {
    const { c, calls } = client({ 'POST /api/room/create': () => json(200, { id: 'r1', name: 'abc' }) });
    await roomEndpoints(c).create({ name: 'abc', isPublic: true });
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe('Bearer access-1');
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].body).toEqual({ name: 'abc', isPublic: true });
  });

  it('sends Bearer on PUT and DELETE and GET of authenticated routes', async () => {
    const { c, calls } = client({
      'PUT /api/room/r1/settings': () => json(200, {}),
      'DELETE /api/room/r1': () => json(202, { message: 'Room deletion queued' }),
      'GET /api/room/list': () => json(200, []),
    });
    const rooms = roomEndpoints(c);
    await rooms.updateSettings('r1', { isPublic: false });
    const del = await rooms.remove('r1');
    await rooms.list();
    expect(del).toEqual({ message: 'Room deletion queued' });
    expect(calls.map((x) => x.headers.authorization)).toEqual(['Bearer access-1', 'Bearer access-1', 'Bearer access-1']);
    expect(calls.map((x) => x.method)).toEqual(['PUT', 'DELETE', 'GET']);
  });

  it('sends {} as the body of moderation calls and builds the documented paths', async () => {
    const { c, calls } = client({ 'POST /api/room/r1/video/guest-abc12345/off': () => json(200, { status: 'success' }) });
    const res = await roomEndpoints(c).moderate('r1', 'video-off', 'guest-abc12345');
    expect(res).toEqual({ status: 'success' });
    expect(calls[0].body).toEqual({});
    expect(moderationPath('r1', 'stage-bring', 'u1')).toBe('/api/room/r1/stage/u1/bring');
    expect(moderationPath('r1', 'kick', 'u1')).toBe('/api/room/r1/kick/u1');
    expect(moderationPath('r1', 'demote', 'u1')).toBe('/api/room/r1/demote/u1');
  });

  it('does not send Authorization on public endpoints', async () => {
    const { c, calls } = client({ 'POST /api/auth/login': () => json(200, { user: {}, tokens: {} }) });
    await authEndpoints(c).login('a@b.c', 'secret-secret');
    expect(calls[0].headers.authorization).toBeUndefined();
  });

  it('encodes query parameters and skips empty ones', async () => {
    const { c, calls } = client({ 'GET /api/admin/users': () => json(200, { users: [], total: 0, page: 1, limit: 50 }) });
    await c.get('/api/admin/users', { query: { q: 'a b&c', page: 2, role: '', status: undefined } });
    expect(calls[0].url).toBe('/api/admin/users?q=a+b%26c&page=2');
  });

  it('builds OAuth login URLs with an encoded redirect', () => {
    expect(oauthLoginUrl('google')).toBe('/api/auth/google/login');
    expect(oauthLoginUrl('keycloak', '/m/abc-def?x=1')).toBe('/api/auth/keycloak/login?redirect=%2Fm%2Fabc-def%3Fx%3D1');
  });
});

describe('ApiClient: error mapping', () => {
  it("maps a JSON error body to ApiError with the server's message", async () => {
    const { c } = client({
      'POST /api/room/create': () => json(409, { error: 'a room with this name already exists' }, { 'x-request-id': 'req-1' }),
    });
    const err = await roomEndpoints(c).create({ name: 'taken' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).message).toBe('a room with this name already exists');
    expect((err as ApiError).requestId).toBe('req-1');
    expect(errorMessage(err)).toBe('a room with this name already exists');
  });

  it('falls back to a status text when the body is not JSON', async () => {
    const { c } = client({
      'POST /api/room/join': () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    });
    const err = (await roomEndpoints(c).join('abc').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(502);
    expect(err.message).toBe('Media server unavailable');
  });

  it('does not refresh on a 401 from a public endpoint (wrong password)', async () => {
    const { c, calls, onSessionExpired } = client(
      {
        'POST /api/auth/login': () => json(401, { error: 'Invalid credentials' }),
        'POST /api/auth/refresh': () => json(200, { accessToken: 'x' }),
      },
      null,
    );
    const err = (await authEndpoints(c).login('a@b.c', 'wrong-password').catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('Invalid credentials');
    expect(calls.map((x) => x.url)).toEqual(['/api/auth/login']);
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('turns a network failure into a friendly ApiError with status 0', async () => {
    const c = new ApiClient({
      fetch: vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
    });
    c.setTokens({ accessToken: 't' });
    const err = (await c.get('/api/auth/me').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.isNetworkError).toBe(true);
    expect(err.message).toMatch(/Cannot reach the server/);
  });

  it('keeps 403 guard messages such as Account is deactivated', async () => {
    const { c, calls } = client({ 'GET /api/auth/me': () => json(403, { error: 'Account is deactivated' }) });
    const err = (await c.get('/api/auth/me').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(403);
    expect(err.message).toBe('Account is deactivated');
    expect(calls).toHaveLength(1);
  });
});

describe('ApiClient: token refresh', () => {
  it('refreshes once on 401 and retries with the new token', async () => {
    const { c, calls, onSessionExpired } = client({
      'GET /api/auth/me': [() => json(401, { error: 'Invalid token' }), () => json(200, { id: 'u1' })],
      'POST /api/auth/refresh': () =>
        json(200, { access_token: 'access-2', refresh_token: 'r2', accessToken: 'access-2', refreshToken: 'r2' }),
    });
    const me = await c.get<{ id: string }>('/api/auth/me');
    expect(me).toEqual({ id: 'u1' });
    expect(calls.map((x) => `${x.method} ${x.url}`)).toEqual([
      'GET /api/auth/me',
      'POST /api/auth/refresh',
      'GET /api/auth/me',
    ]);
    expect(calls[0].headers.authorization).toBe('Bearer access-1');
    expect(calls[2].headers.authorization).toBe('Bearer access-2');
    expect(calls[1].credentials).toBe('same-origin');
    expect(c.token).toBe('access-2');
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('accepts the snake_case-only refresh response', async () => {
    const { c } = client({
      'GET /api/room/list': [() => json(401, { error: 'Invalid token' }), () => json(200, [])],
      'POST /api/auth/refresh': () => json(200, { access_token: 'snake', refresh_token: 'r' }),
    });
    await c.get('/api/room/list');
    expect(c.token).toBe('snake');
  });

  it('accepts the camelCase-only refresh response', async () => {
    const { c } = client({
      'GET /api/room/list': [() => json(401, { error: 'Invalid token' }), () => json(200, [])],
      'POST /api/auth/refresh': () => json(200, { accessToken: 'camel', refreshToken: 'r' }),
    });
    await c.get('/api/room/list');
    expect(c.token).toBe('camel');
  });

  it('does not loop: a second 401 after a successful refresh ends the session', async () => {
    const { c, calls, onSessionExpired } = client({
      'GET /api/auth/me': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(200, { accessToken: 'access-2' }),
    });
    const err = (await c.get('/api/auth/me').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(calls.filter((x) => x.url === '/api/auth/refresh')).toHaveLength(1);
    expect(calls.filter((x) => x.url === '/api/auth/me')).toHaveLength(2);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(c.token).toBeNull();
  });

  it('signs out (callback, tokens dropped) when the refresh is refused', async () => {
    const { c, calls, onSessionExpired } = client({
      'PUT /api/auth/me': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(401, { error: 'Invalid or expired refresh token' }),
    });
    const err = (await c.put('/api/auth/me', { name: 'Bob' }).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(err.message).toBe(SESSION_EXPIRED);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(c.token).toBeNull();
    // one retry of the refresh itself (lost-race case), then give up; the request is not resent
    expect(calls.map((x) => x.url)).toEqual(['/api/auth/me', '/api/auth/refresh', '/api/auth/refresh']);
  });

  it('survives a lost refresh race: a second refresh attempt with the new cookie succeeds', async () => {
    const { c, calls, onSessionExpired } = client({
      'GET /api/room/list': [() => json(401, { error: 'Invalid token' }), () => json(200, [])],
      'POST /api/auth/refresh': [
        () => json(401, { error: 'Invalid or expired refresh token' }),
        () => json(200, { accessToken: 'after-race' }),
      ],
    });
    await expect(c.get('/api/room/list')).resolves.toEqual([]);
    expect(calls.filter((x) => x.url === '/api/auth/refresh')).toHaveLength(2);
    expect(calls[3].headers.authorization).toBe('Bearer after-race');
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('does not retry a refresh that failed for another reason than 401', async () => {
    const { c, calls, onSessionExpired } = client({
      'GET /api/auth/me': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(403, { error: 'Account is deactivated' }),
    });
    await expect(c.get('/api/auth/me')).rejects.toMatchObject({ status: 401 });
    expect(calls.filter((x) => x.url === '/api/auth/refresh')).toHaveLength(1);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('treats a refresh answer without a token as a failure', async () => {
    const { c, onSessionExpired } = client({
      'GET /api/auth/me': () => json(401, { error: 'Invalid token' }),
      'POST /api/auth/refresh': () => json(200, {}),
    });
    await expect(c.get('/api/auth/me')).rejects.toBeInstanceOf(ApiError);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('shares one refresh between concurrent 401s', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { c, calls } = client({
      'GET /api/room/list': [() => json(401, { error: 'Invalid token' }), () => json(200, [])],
      'GET /api/room/archived': [() => json(401, { error: 'Invalid token' }), () => json(200, [])],
      'POST /api/auth/refresh': async () => {
        await gate;
        return json(200, { accessToken: 'access-2' });
      },
    });
    const a = c.get('/api/room/list');
    const b = c.get('/api/room/archived');
    await new Promise((r) => setTimeout(r, 0));
    release();
    await Promise.all([a, b]);
    expect(calls.filter((x) => x.url === '/api/auth/refresh')).toHaveLength(1);
    expect(calls.filter((x) => x.url !== '/api/auth/refresh' && x.headers.authorization === 'Bearer access-2')).toHaveLength(2);
  });

  it('refreshes before the first authenticated call when no token is in memory', async () => {
    const { c, calls } = client(
      {
        'GET /api/auth/me': () => json(200, { id: 'u1' }),
        'POST /api/auth/refresh': () => json(200, { accessToken: 'from-cookie' }),
      },
      null,
    );
    await c.get('/api/auth/me');
    expect(calls.map((x) => x.url)).toEqual(['/api/auth/refresh', '/api/auth/me']);
    expect(calls[0].body).toEqual({});
    expect(calls[1].headers.authorization).toBe('Bearer from-cookie');
  });

  it('sends an in-memory refresh token (guest-join) in the body and keeps the rotated one', async () => {
    const { c, calls } = client(
      {
        'GET /api/auth/me': [() => json(401, { error: 'Invalid token' }), () => json(200, {})],
        'POST /api/auth/refresh': () => json(200, { accessToken: 'a2', refreshToken: 'r2', access_token: 'a2', refresh_token: 'r2' }),
      },
      null,
    );
    c.setTokens({ accessToken: 'a1', refreshToken: 'r1' });
    await c.get('/api/auth/me');
    expect(calls[1].body).toEqual({ refreshToken: 'r1' });
    await c.refresh();
    expect(calls[3].body).toEqual({ refreshToken: 'r2' });
  });

  it('does not sign out when the refresh endpoint is unreachable', async () => {
    const onSessionExpired = vi.fn();
    const fetchMock = vi.fn(async (url: string) => {
      if (url === '/api/auth/refresh') throw new TypeError('Failed to fetch');
      return json(401, { error: 'Invalid token' });
    });
    const c = new ApiClient({ fetch: fetchMock as unknown as typeof fetch, onSessionExpired });
    c.setTokens({ accessToken: 'a1' });
    const err = (await c.get('/api/auth/me').catch((e: unknown) => e)) as ApiError;
    expect(err.isNetworkError).toBe(true);
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('optional-auth calls never refresh', async () => {
    const { c, calls } = client({
      'GET /api/room/r1/presence': () => json(401, { error: 'Unauthorized' }),
      'POST /api/auth/refresh': () => json(200, { accessToken: 'x' }),
    });
    await expect(roomEndpoints(c).presence('r1')).rejects.toMatchObject({ status: 401, message: 'Unauthorized' });
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe('Bearer access-1');
  });
});
