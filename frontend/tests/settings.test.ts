import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import { createSettingsStore, DEFAULT_PUBLIC_SETTINGS } from '../src/stores/settings';
import { json, mockFetch } from './helpers';

describe('public settings store', () => {
  it('loads once and merges with defaults', async () => {
    const m = mockFetch({
      'GET /api/auth/settings': () => json(200, { serverName: 'Meet', passkeysEnabled: false, oauthProviders: ['google'] }),
    });
    const s = createSettingsStore(new ApiClient({ fetch: m.fetch }));
    await Promise.all([s.load(), s.load()]);
    expect(m.calls).toHaveLength(1);
    expect(get(s).value).toMatchObject({ serverName: 'Meet', passkeysEnabled: false, oauthProviders: ['google'], guestLoginEnabled: true });
    expect(m.calls[0].headers.authorization).toBeUndefined();
  });

  it('falls back to defaults with an error and retries later', async () => {
    const m = mockFetch({
      'GET /api/auth/settings': [() => json(503, { error: 'Service unavailable' }), () => json(200, { serverName: 'X' })],
    });
    const s = createSettingsStore(new ApiClient({ fetch: m.fetch }));
    await s.load();
    expect(get(s)).toEqual({ loaded: true, error: 'Service unavailable', value: DEFAULT_PUBLIC_SETTINGS });
    await s.load();
    expect(get(s).value.serverName).toBe('X');
  });
});
