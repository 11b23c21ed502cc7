// @vitest-environment happy-dom
/**
 * Page-level smoke tests: the real App mounted in happy-dom against a fake
 * API (fetch mock). They catch wiring mistakes that unit tests cannot:
 * routing, guards, the Bearer header from pages, server error strings on screen.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const USER = {
  id: 'u1', email: 'alice@example.com', name: 'Alice', avatarUrl: '', provider: 'local',
  accesses: ['user', 'superadmin'], isActive: true, emailVerifiedAt: null, passwordChangedAt: null,
  createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};
const ROOM = {
  id: 'r1', name: 'abc-defg-hij', createdBy: 'u1', adminId: 'u1', isActive: true, isPublic: false, maxParticipants: 0,
  mode: 'standard',
  settings: { allowChat: true, allowVideo: true, allowAudio: true, requireApproval: false, e2ee: false, isPersistent: false, recordingsAllowed: false },
  createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z', lastActivityAt: null,
};

let signedIn = true;
let calls: { method: string; url: string; auth: string; body: unknown }[] = [];

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function api(method: string, url: string): Response {
  if (url === '/api/auth/settings')
    return json(200, { serverName: 'TestMeet', registrationEnabled: true, guestLoginEnabled: true, passkeysEnabled: true, oauthProviders: ['google'] });
  if (url === '/api/auth/refresh')
    return signedIn ? json(200, { access_token: 'A', refresh_token: 'R', accessToken: 'A', refreshToken: 'R' }) : json(401, { error: 'Invalid or expired refresh token' });
  if (url === '/api/auth/me') return json(200, USER);
  if (url === '/api/auth/login') return json(401, { error: 'Invalid credentials' });
  if (url === '/api/room/list') return json(200, [ROOM]);
  if (url === '/api/room/archived') return json(200, []);
  if (url === '/api/room/create') return json(409, { error: 'a room with this name already exists' });
  if (url === '/api/room/join') return json(200, { ...ROOM, token: 'lk', livekitHost: 'ws://127.0.0.1:9', activeRecordingId: '' });
  if (url === '/api/room/check/open-room') return json(200, { exists: true, name: 'open-room' });
  if (url.startsWith('/api/room/check/')) return json(404, { error: 'Room not found' });
  if (url === '/api/room/guest-join')
    return json(200, { id: 'r2', name: 'open-room', token: 'lk', adminId: 'u1', isPublic: true, livekitHost: '', activeRecordingId: '', accessToken: 'GA', refreshToken: 'GR', tokens: { accessToken: 'GA', refreshToken: 'GR' } });
  if (url === '/api/auth/passkeys') return json(200, [{ id: 'p1', name: 'Laptop', createdAt: '2026-01-01T00:00:00Z', lastUsedAt: null }]);
  if (url.startsWith('/api/admin/users'))
    return json(200, { users: [{ id: 'u2', email: 'bob@example.com', name: 'Bob', provider: 'local', isActive: true, isAdmin: false, accesses: ['user'], createdAt: '2026-01-01T00:00:00Z' }], total: 1, page: 1, limit: 25 });
  if (url.startsWith('/api/admin/rooms'))
    return json(200, { rooms: [{ ...ROOM, participantsCount: 2, ownerName: 'Alice', ownerEmail: 'alice@example.com' }], total: 1, page: 1, limit: 25 });
  return json(404, { error: 'Not found' });
}

beforeEach(() => {
  calls = [];
  globalThis.fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const auth = new Headers(init.headers).get('authorization') ?? '';
    calls.push({ method, url, auth, body: typeof init.body === 'string' ? JSON.parse(init.body) : null });
    return api(method, url.split('?')[0]);
  }) as unknown as typeof fetch;
});

let unmount: (() => void) | null = null;
afterEach(() => {
  unmount?.();
  unmount = null;
});

const text = () => (document.querySelector('main')?.textContent ?? '').replace(/\s+/g, ' ');

async function until(check: () => boolean, what: string, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; page shows: ${text().slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function render(path: string) {
  history.replaceState(null, '', path);
  document.body.innerHTML = '<div id="app"></div>';
  vi.resetModules(); // fresh stores and API client per test
  const [{ default: App }, { mount, unmount: un }] = await Promise.all([import('../../src/App.svelte'), import('svelte')]);
  const app = mount(App, { target: document.getElementById('app')! });
  unmount = () => void un(app);
}

function type(id: string, value: string) {
  const el = document.getElementById(id) as HTMLInputElement;
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const button = (label: string) =>
  Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.includes(label)) as HTMLButtonElement;

describe('app pages', { timeout: 20000 }, () => {
  it('home: joins a meeting from a pasted invite link', async () => {
    signedIn = false;
    await render('/');
    await until(() => text().includes('Join a meeting'), 'home');
    type('join-input', 'https://meet.example.com/m/Team-Sync');
    (document.querySelector('form') as HTMLFormElement).requestSubmit();
    await until(() => location.pathname === '/m/team-sync', 'navigation');
    await until(() => text().includes('Room not found'), 'room check result');
  });

  it('login: shows the server error and OAuth links keep the redirect', async () => {
    signedIn = false;
    await render('/login?redirect=%2Fdashboard');
    await until(() => text().includes('Continue with Google'), 'oauth buttons');
    expect(text()).toContain('Continue as a guest');
    type('login-email', 'alice@example.com');
    type('login-password', 'wrong-password-123');
    (document.querySelector('form') as HTMLFormElement).requestSubmit();
    await until(() => text().includes('Invalid credentials'), 'error message');
    const oauth = document.querySelector('a[rel="external"]') as HTMLAnchorElement;
    expect(oauth.getAttribute('href')).toBe('/api/auth/google/login?redirect=%2Fdashboard');
  });

  it('guards: anonymous users are sent to sign-in with a redirect', async () => {
    signedIn = false;
    await render('/dashboard');
    await until(() => location.pathname === '/login', 'redirect');
    expect(location.search).toBe('?redirect=%2Fdashboard');
  });

  it('dashboard: lists rooms with the Bearer token and shows create errors from the server', async () => {
    signedIn = true;
    await render('/dashboard');
    await until(() => text().includes('abc-defg-hij'), 'room list');
    expect(calls.find((c) => c.url === '/api/room/list')?.auth).toBe('Bearer A');
    button('New room').click();
    await until(() => !!document.querySelector('dialog[open]'), 'dialog');
    type(document.querySelector('dialog[open] input[type=text]')!.id, 'Bad Name!');
    (document.getElementById('create-room-form') as HTMLFormElement).requestSubmit();
    await until(() => (document.querySelector('dialog[open]')?.textContent ?? '').includes('only lowercase letters'), 'name check');
    type(document.querySelector('dialog[open] input[type=text]')!.id, 'taken-name');
    (document.getElementById('create-room-form') as HTMLFormElement).requestSubmit();
    await until(() => (document.querySelector('dialog[open]')?.textContent ?? '').includes('a room with this name already exists'), 'server error');
    const create = calls.find((c) => c.url === '/api/room/create');
    expect(create?.auth).toBe('Bearer A');
    expect(create?.body).toMatchObject({ name: 'taken-name', isPublic: false, mode: 'standard', settings: { allowChat: true } });
  });

  it('settings: profile, password and passkeys', async () => {
    signedIn = true;
    await render('/settings');
    await until(() => text().includes('Laptop'), 'passkey list');
    expect(text()).toContain('Profile');
    expect(text()).toContain('Change password');
  });

  it('admin: users and rooms tables', async () => {
    signedIn = true;
    await render('/admin/users');
    await until(() => text().includes('bob@example.com'), 'users');
    expect(calls.find((c) => c.url.startsWith('/api/admin/users'))?.url).toContain('sort=createdAt');
    await render('/admin/rooms');
    await until(() => text().includes('abc-defg-hij'), 'rooms');
    expect(text()).toContain('2');
  });

  it('not found', async () => {
    await render('/no/such/page');
    await until(() => text().includes('Page not found'), 'not found page');
  });

  it('meeting: a member joins, and an unreachable media server gives a friendly message', async () => {
    signedIn = true;
    await render('/m/abc-defg-hij');
    await until(() => !!button('Join now'), 'pre-join');
    button('Join now').click();
    await until(() => text().includes("Couldn't connect"), 'connect failure', 15000);
    expect(text()).toContain("We couldn't reach the media server");
    expect(calls.find((c) => c.url === '/api/room/join')?.body).toEqual({ roomName: 'abc-defg-hij' });
  });

  it('meeting: a guest must give a name, then joins via guest-join', async () => {
    signedIn = false;
    await render('/m/open-room');
    await until(() => !!document.getElementById('guest-name-input'), 'guest name field');
    type('guest-name-input', '');
    button('Join now').click();
    await until(() => text().includes('Guest name is required'), 'name error');
    type('guest-name-input', 'Gus');
    button('Join now').click();
    await until(() => text().includes('This server has no media server configured'), 'call view');
    expect(calls.find((c) => c.url === '/api/room/guest-join')?.body).toEqual({ roomName: 'open-room', guestName: 'Gus' });
    expect(calls.find((c) => c.url === '/api/auth/me')?.auth).toBe('Bearer GA');
  });
});
