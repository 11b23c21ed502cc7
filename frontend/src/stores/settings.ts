import { writable } from 'svelte/store';
import type { ApiClient } from '../api/client';
import { authEndpoints } from '../api/auth';
import type { PublicSettings } from '../api/types';

/** Safe values used until (or if) GET /api/auth/settings answers. */
export const DEFAULT_PUBLIC_SETTINGS: PublicSettings = {
  serverName: '',
  registrationEnabled: true,
  tokenRegistrationOnly: false,
  guestLoginEnabled: true,
  passkeysEnabled: true,
  oauthProviders: [],
  requireEmailVerification: false,
};

export interface SettingsState {
  loaded: boolean;
  error: string | null;
  value: PublicSettings;
}

/** Public server settings (GET /api/auth/settings), loaded once per page. */
export function createSettingsStore(client: ApiClient) {
  const auth = authEndpoints(client);
  const store = writable<SettingsState>({ loaded: false, error: null, value: DEFAULT_PUBLIC_SETTINGS });
  let pending: Promise<PublicSettings> | null = null;

  function load(force = false): Promise<PublicSettings> {
    if (pending && !force) return pending;
    pending = auth
      .settings()
      .then((value) => {
        const merged: PublicSettings = {
          ...DEFAULT_PUBLIC_SETTINGS,
          ...value,
          oauthProviders: Array.isArray(value?.oauthProviders) ? value.oauthProviders : [],
        };
        store.set({ loaded: true, error: null, value: merged });
        return merged;
      })
      .catch((err: unknown) => {
        pending = null;
        const message = err instanceof Error ? err.message : 'Could not load server settings';
        store.set({ loaded: true, error: message, value: DEFAULT_PUBLIC_SETTINGS });
        return DEFAULT_PUBLIC_SETTINGS;
      });
    return pending;
  }

  return { subscribe: store.subscribe, load };
}
