import { writable, type Readable } from 'svelte/store';

export type ThemePreference = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'bedrud.theme';

export interface ThemeEnv {
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  matchMedia?: ((query: string) => MediaQueryList) | null;
  root?: HTMLElement | null;
}

export interface ThemeState {
  preference: ThemePreference;
  resolved: ResolvedTheme;
}

export type ThemeStore = Readable<ThemeState> & {
  set(preference: ThemePreference): void;
  toggle(): void;
};

function browserEnv(): ThemeEnv {
  const g = globalThis as unknown as { localStorage?: Storage; matchMedia?: Window['matchMedia']; document?: Document };
  let storage: Storage | null = null;
  try {
    storage = g.localStorage ?? null;
  } catch {
    storage = null; // storage disabled (privacy mode)
  }
  return {
    storage,
    matchMedia: g.matchMedia ? g.matchMedia.bind(globalThis) : null,
    root: g.document?.documentElement ?? null,
  };
}

function readPreference(storage: ThemeEnv['storage']): ThemePreference {
  try {
    const v = storage?.getItem(THEME_STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/**
 * Light/dark theme: follows `prefers-color-scheme` until the user picks one
 * (stored in localStorage). Applies `data-theme` and `color-scheme` to <html>.
 */
export function createThemeStore(env: ThemeEnv = browserEnv()): ThemeStore {
  const media = env.matchMedia?.('(prefers-color-scheme: dark)') ?? null;
  const systemTheme = (): ResolvedTheme => (media?.matches ? 'dark' : 'light');

  let preference = readPreference(env.storage);
  const compute = (): ThemeState => ({
    preference,
    resolved: preference === 'system' ? systemTheme() : preference,
  });

  const store = writable<ThemeState>(compute());

  const apply = () => {
    const next = compute();
    if (env.root) {
      if (next.preference === 'system') env.root.removeAttribute('data-theme');
      else env.root.setAttribute('data-theme', next.preference);
      env.root.style.colorScheme = next.resolved;
    }
    store.set(next);
  };

  media?.addEventListener?.('change', () => {
    if (preference === 'system') apply();
  });
  apply();

  return {
    subscribe: store.subscribe,
    set(p: ThemePreference) {
      preference = p;
      try {
        if (p === 'system') env.storage?.removeItem(THEME_STORAGE_KEY);
        else env.storage?.setItem(THEME_STORAGE_KEY, p);
      } catch {
        // ignore storage failures; the choice still applies for this visit
      }
      apply();
    },
    toggle() {
      this.set(compute().resolved === 'dark' ? 'light' : 'dark');
    },
  };
}
