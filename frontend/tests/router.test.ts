import { describe, expect, it } from 'vitest';
import { matchRoute, safeRedirect } from '../src/lib/router';

describe('router', () => {
  it.each([
    ['/', 'home'],
    ['/login', 'login'],
    ['/register', 'register'],
    ['/auth/callback', 'auth-callback'],
    ['/dashboard', 'dashboard'],
    ['/dashboard/', 'dashboard'],
    ['/settings', 'settings'],
    ['/admin', 'admin'],
    ['/admin/users', 'admin-users'],
    ['/admin/rooms', 'admin-rooms'],
    ['/nope', 'not-found'],
    ['/m', 'not-found'],
    ['/m/a/b', 'not-found'],
  ])('%s → %s', (path, name) => {
    expect(matchRoute(path).name).toBe(name);
  });

  it('extracts and decodes params', () => {
    const m = matchRoute('/m/abc-defg-hij', '?x=1');
    expect(m.name).toBe('meeting');
    expect(m.params).toEqual({ name: 'abc-defg-hij' });
    expect(m.query.get('x')).toBe('1');
    expect(matchRoute('/m/a%2Db').params.name).toBe('a-b');
    expect(matchRoute('/m/%E0%A4%A').name).toBe('not-found');
  });

  it('follows only same-origin redirect paths', () => {
    expect(safeRedirect('/m/abc')).toBe('/m/abc');
    expect(safeRedirect('/dashboard?x=1')).toBe('/dashboard?x=1');
    expect(safeRedirect('//evil.example')).toBe('/');
    expect(safeRedirect('https://evil.example')).toBe('/');
    expect(safeRedirect('/\\evil.example')).toBe('/');
    expect(safeRedirect(null, '/dashboard')).toBe('/dashboard');
    expect(safeRedirect('')).toBe('/');
  });
});
