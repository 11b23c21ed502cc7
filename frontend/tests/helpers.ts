import { vi } from 'vitest';

export interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  credentials?: RequestCredentials;
}

export type Responder = (call: RecordedCall) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * A fetch mock that routes by "METHOD path" to responders; each route may hold
 * a queue (one responder per call, the last one repeating).
 */
export function mockFetch(routes: Record<string, Responder | Responder[]>) {
  const calls: RecordedCall[] = [];
  const counters = new Map<string, number>();
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    let body: unknown = init.body ?? null;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* keep raw */
      }
    }
    const call: RecordedCall = { url, method, headers, body, credentials: init.credentials };
    calls.push(call);
    const path = url.split('?')[0];
    const key = `${method} ${path}`;
    const entry = routes[key];
    if (!entry) throw new Error(`unexpected request ${key}`);
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    const responder = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
    return responder(call);
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

export const USER = {
  id: '9b2c1f7e-0000-4000-8000-000000000001',
  email: 'alice@example.com',
  name: 'Alice',
  avatarUrl: '',
  provider: 'local',
  accesses: ['user'],
  isActive: true,
  emailVerifiedAt: null,
  passwordChangedAt: null,
  createdAt: '2026-03-01T10:20:30Z',
  updatedAt: '2026-03-01T10:20:30Z',
};
