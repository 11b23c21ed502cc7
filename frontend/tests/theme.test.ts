import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { createThemeStore, THEME_STORAGE_KEY } from '../src/stores/theme';

function env(initial: Record<string, string> = {}, dark = false) {
  const data = new Map(Object.entries(initial));
  const storage = {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
  const listeners: (() => void)[] = [];
  const media = {
    matches: dark,
    addEventListener: (_: string, cb: () => void) => listeners.push(cb),
  } as unknown as MediaQueryList;
  const attrs = new Map<string, string>();
  const root = {
    style: { colorScheme: '' },
    setAttribute: (k: string, v: string) => void attrs.set(k, v),
    removeAttribute: (k: string) => void attrs.delete(k),
  } as unknown as HTMLElement;
  return {
    data,
    attrs,
    root,
    setDark(v: boolean) {
      (media as { matches: boolean }).matches = v;
      listeners.forEach((l) => l());
    },
    env: { storage, matchMedia: () => media, root },
  };
}

describe('theme store', () => {
  it('follows the system preference by default', () => {
    const e = env({}, true);
    const t = createThemeStore(e.env);
    expect(get(t)).toEqual({ preference: 'system', resolved: 'dark' });
    expect(e.attrs.has('data-theme')).toBe(false);
    expect(e.root.style.colorScheme).toBe('dark');
    e.setDark(false);
    expect(get(t).resolved).toBe('light');
  });

  it('restores and persists an explicit choice', () => {
    const e = env({ [THEME_STORAGE_KEY]: 'dark' });
    const t = createThemeStore(e.env);
    expect(get(t)).toEqual({ preference: 'dark', resolved: 'dark' });
    expect(e.attrs.get('data-theme')).toBe('dark');
    t.toggle();
    expect(get(t).resolved).toBe('light');
    expect(e.data.get(THEME_STORAGE_KEY)).toBe('light');
    e.setDark(true); // explicit choice wins over the system
    expect(get(t).resolved).toBe('light');
    t.set('system');
    expect(e.data.has(THEME_STORAGE_KEY)).toBe(false);
    expect(get(t).resolved).toBe('dark');
  });

  it('ignores junk in storage', () => {
    const e = env({ [THEME_STORAGE_KEY]: 'purple' });
    expect(get(createThemeStore(e.env)).preference).toBe('system');
  });
});
