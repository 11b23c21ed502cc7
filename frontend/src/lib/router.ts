import { writable, type Readable } from 'svelte/store';

/** A tiny client-side router on the History API. */

export type RouteName =
  | 'home'
  | 'login'
  | 'register'
  | 'auth-callback'
  | 'dashboard'
  | 'meeting'
  | 'settings'
  | 'admin'
  | 'admin-users'
  | 'admin-rooms'
  | 'not-found';

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
  path: string;
  query: URLSearchParams;
}

const ROUTES: [pattern: string, name: RouteName][] = [
  ['/', 'home'],
  ['/login', 'login'],
  ['/register', 'register'],
  ['/auth/callback', 'auth-callback'],
  ['/dashboard', 'dashboard'],
  ['/m/:name', 'meeting'],
  ['/settings', 'settings'],
  ['/admin', 'admin'],
  ['/admin/users', 'admin-users'],
  ['/admin/rooms', 'admin-rooms'],
];

function normalizePath(pathname: string): string {
  const p = pathname.replace(/\/{2,}/g, '/');
  return p.length > 1 ? p.replace(/\/+$/, '') : p || '/';
}

/** Matches a pathname (and optional search string) against the route table. */
export function matchRoute(pathname: string, search = ''): RouteMatch {
  const path = normalizePath(pathname);
  const query = new URLSearchParams(search);
  const parts = path.split('/').slice(1);
  for (const [pattern, name] of ROUTES) {
    const pp = pattern.split('/').slice(1);
    if (pp.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pp.length; i++) {
      if (pp[i].startsWith(':')) {
        let value: string;
        try {
          value = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
          break;
        }
        if (!value) {
          ok = false;
          break;
        }
        params[pp[i].slice(1)] = value;
      } else if (pp[i] !== parts[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { name, params, path, query };
  }
  return { name: 'not-found', params: {}, path, query };
}

/**
 * A redirect target from a query string is followed only when it is a
 * same-origin path: starts with `/`, not `//`, no backslash (API §3.3).
 */
export function safeRedirect(target: string | null | undefined, fallback = '/'): string {
  if (!target) return fallback;
  if (!target.startsWith('/') || target.startsWith('//') || target.includes('\\')) return fallback;
  if (/[\u0000-\u001f]/.test(target)) return fallback;
  return target;
}

function currentLocation(): { pathname: string; search: string } {
  const loc = globalThis.location;
  return loc ? { pathname: loc.pathname, search: loc.search } : { pathname: '/', search: '' };
}

const routeStore = writable<RouteMatch>(matchRoute(currentLocation().pathname, currentLocation().search));
export const route: Readable<RouteMatch> = { subscribe: routeStore.subscribe };

function sync() {
  const { pathname, search } = currentLocation();
  routeStore.set(matchRoute(pathname, search));
}

export function currentPathWithQuery(): string {
  const { pathname, search } = currentLocation();
  return pathname + search;
}

/** Navigates within the app. External or API URLs fall back to a full page load. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (typeof window === 'undefined') return;
  const url = new URL(to, window.location.href);
  if (url.origin !== window.location.origin || isServerPath(url.pathname)) {
    window.location.assign(url.href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  if (options.replace) window.history.replaceState(null, '', target);
  else if (target !== currentPathWithQuery() + window.location.hash) window.history.pushState(null, '', target);
  sync();
  if (!url.hash) window.scrollTo(0, 0);
}

function isServerPath(pathname: string): boolean {
  return /^\/(api|livekit|metrics)(\/|$)/.test(pathname);
}

/** Starts listening to back/forward and to clicks on same-origin links. */
export function startRouter(): () => void {
  const onPop = () => sync();
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || !anchor.hasAttribute('href')) return;
    if (anchor.target && anchor.target !== '_self') return;
    if (anchor.hasAttribute('download') || anchor.getAttribute('rel')?.includes('external')) return;
    const url = new URL(anchor.href, window.location.href);
    if (url.origin !== window.location.origin || isServerPath(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  };
  window.addEventListener('popstate', onPop);
  document.addEventListener('click', onClick);
  sync();
  return () => {
    window.removeEventListener('popstate', onPop);
    document.removeEventListener('click', onClick);
  };
}
