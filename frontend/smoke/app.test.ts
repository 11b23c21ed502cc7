import { describe, expect, it, vi, beforeEach } from 'vitest';

const USER = { id: 'u1', email: 'a@b.c', name: 'Alice', avatarUrl: '', provider: 'local', accesses: ['user', 'superadmin'], isActive: true, emailVerifiedAt: null, passwordChangedAt: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
const ROOM = { id: 'r1', name: 'abc-defg-hij', createdBy: 'u1', adminId: 'u1', isActive: true, isPublic: false, maxParticipants: 0, mode: 'standard', settings: { allowChat: true, allowVideo: true, allowAudio: true, requireApproval: false, e2ee: false, isPersistent: false, recordingsAllowed: false }, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z', lastActivityAt: null };

let signedIn = true;
const log: string[] = [];
function j(status: number, body: unknown) { return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }); }
globalThis.fetch = vi.fn(async (url: any, init: any = {}) => {
  const u = String(url); const m = init.method ?? 'GET';
  log.push(`${m} ${u} ${init.headers?.Authorization ?? ''}`);
  if (u.startsWith('/api/auth/settings')) return j(200, { serverName: 'TestMeet', registrationEnabled: true, guestLoginEnabled: true, passkeysEnabled: true, oauthProviders: ['google'] });
  if (u === '/api/auth/refresh') return signedIn ? j(200, { access_token: 'A', accessToken: 'A' }) : j(401, { error: 'Invalid or expired refresh token' });
  if (u === '/api/auth/me') return j(200, USER);
  if (u === '/api/room/list') return j(200, [ROOM]);
  if (u === '/api/room/archived') return j(200, []);
  if (u.startsWith('/api/admin/users')) return j(200, { users: [{ id: 'u2', email: 'b@c.d', name: 'Bob', provider: 'local', isActive: true, isAdmin: false, accesses: ['user'], createdAt: '2026-01-01T00:00:00Z' }], total: 1, page: 1, limit: 25 });
  if (u.startsWith('/api/admin/rooms')) return j(200, { rooms: [{ ...ROOM, participantsCount: 2, ownerName: 'Alice', ownerEmail: 'a@b.c' }], total: 1, page: 1, limit: 25 });
  if (u === '/api/auth/passkeys') return j(200, []);
  if (u.startsWith('/api/room/check/')) return j(404, { error: 'Room not found' });
  if (u === '/api/room/join') return j(200, { ...ROOM, token: 'lktoken', livekitHost: 'ws://127.0.0.1:9', activeRecordingId: '' });
  if (u === '/api/room/refresh-token') return j(200, { token: 'lktoken2' });
  if (u === '/api/auth/login') return j(401, { error: 'Invalid credentials' });
  return j(404, { error: 'Not found' });
}) as any;

async function settle() { for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 5)); } }

async function render(path: string) {
  history.replaceState(null, '', path);
  document.body.innerHTML = '<div id="app"></div>';
  vi.resetModules();
  const { default: App } = await import('../src/App.svelte');
  const { mount } = await import('svelte');
  const app = mount(App, { target: document.getElementById('app')! });
  await settle();
  return app;
}

describe('smoke', { timeout: 60000 }, () => {
  beforeEach(() => { log.length = 0; });
  it('home', async () => {
    signedIn = false;
    await render('/');
    const text = document.body.textContent ?? '';
    expect(text).toContain('Join a meeting');
    expect(text).toContain('TestMeet');
    const input = document.getElementById('join-input') as HTMLInputElement;
    input.value = 'https://x.y/m/Team-Sync'; input.dispatchEvent(new Event('input', { bubbles: true }));
    (document.querySelector('form') as HTMLFormElement).requestSubmit();
    await settle();
    expect(location.pathname).toBe('/m/team-sync');
    await settle(); await settle(); await settle();
    console.log('MEETING(anon, not found):', document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').slice(0, 200));
  });
  it('login page and error message', async () => {
    signedIn = false;
    await render('/login?redirect=%2Fdashboard');
    const text = document.body.textContent ?? '';
    expect(text).toContain('Continue with Google');
    expect(text).toContain('Continue as a guest');
    (document.getElementById('login-email') as HTMLInputElement).value = 'a@b.c';
    document.getElementById('login-email')!.dispatchEvent(new Event('input', { bubbles: true }));
    (document.getElementById('login-password') as HTMLInputElement).value = 'xxxxxxxxxxxxxxx';
    document.getElementById('login-password')!.dispatchEvent(new Event('input', { bubbles: true }));
    (document.querySelector('form') as HTMLFormElement).requestSubmit();
    await settle();
    expect(document.body.textContent).toContain('Invalid credentials');
    const oauth = document.querySelector('a[rel="external"]') as HTMLAnchorElement;
    expect(oauth.getAttribute('href')).toBe('/api/auth/google/login?redirect=%2Fdashboard');
  });
  it('dashboard redirects anonymous to login', async () => {
    signedIn = false;
    await render('/dashboard');
    expect(location.pathname + location.search).toBe('/login?redirect=%2Fdashboard');
  });
  it('dashboard lists rooms', async () => {
    signedIn = true;
    await render('/dashboard');
    const text = document.body.textContent ?? '';
    expect(text).toContain('abc-defg-hij');
    expect(text).toContain('Copy invite link');
    expect(log.some((l) => l.includes('/api/room/list Bearer A'))).toBe(true);
    (Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.includes('New room')) as HTMLButtonElement).click();
    await settle();
    expect(document.querySelector('dialog')?.textContent).toContain('Room name');
  });
  it('settings', async () => {
    signedIn = true;
    await render('/settings');
    const text = document.body.textContent ?? '';
    expect(text).toContain('Profile');
    expect(text).toContain('Passkeys');
    expect(text).toContain('Password');
  });
  it('admin users + rooms', async () => {
    signedIn = true;
    await render('/admin/users');
    await settle();
    expect(document.body.textContent).toContain('Bob');
    await render('/admin/rooms');
    await settle();
    expect(document.body.textContent).toContain('abc-defg-hij');
    await render('/admin');
    await settle();
    expect(document.body.textContent).toContain('Administration');
  });
  it('not found', async () => {
    await render('/zzz');
    expect(document.body.textContent).toContain('Page not found');
  });
  it('meeting prejoin for signed-in user', async () => {
    signedIn = true;
    await render('/m/abc-defg-hij');
    await settle();
    console.log('MEETING:', document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').slice(0, 300));
    (Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.includes('Join now')) as HTMLButtonElement).click();
    for (let i = 0; i < 40; i++) { await settle(); if (document.body.textContent?.includes("Couldn't connect")) break; }
    console.log('CALL:', document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').slice(0, 400));
    console.log(log.filter((l) => !l.includes('settings')).join('\n'));
  });
});
