/**
 * Typed HTTP client for the Bedrud API.
 *
 * Session rules (API §2): the access token lives in memory only and is sent as
 * `Authorization: Bearer …` on every authenticated call (the server refuses
 * cookie-only mutations). On a 401 the client refreshes once — POST
 * /api/auth/refresh, cookie-based, concurrent callers share one refresh — and
 * retries the request once. When the refresh fails the session is over:
 * tokens are dropped and `onSessionExpired` runs (the app sends the user to
 * sign-in).
 */

export type AuthMode = 'required' | 'optional' | 'none';

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** `required` (default): Bearer + refresh on 401. `optional`: Bearer if known, no refresh. `none`: public. */
  auth?: AuthMode;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  onSessionExpired?: () => void;
  /**
   * Pause before the single second refresh attempt after a 401. Two tabs that
   * refresh at the same moment race: the server lets exactly one win and
   * answers 401 to the other while the session stays valid (API §2.4); the
   * loser then retries with the cookie the winner received.
   */
  refreshRetryDelayMs?: number;
}

export interface StoredTokens {
  accessToken: string;
  /** Kept only when the server handed it to a cookie-less flow (guest-join); else the cookie is used. */
  refreshToken?: string | null;
}

const NETWORK_ERROR = 'Cannot reach the server. Check your connection and try again.';
export const SESSION_EXPIRED = 'Your session has expired. Please sign in again.';

const STATUS_FALLBACK: Record<number, string> = {
  400: 'The request was not accepted.',
  401: 'Please sign in to continue.',
  403: 'You are not allowed to do that.',
  404: 'Not found',
  409: 'This conflicts with existing data.',
  413: 'Request body too large',
  429: 'Too many requests. Please wait a moment and try again.',
  500: 'Internal server error',
  502: 'Media server unavailable',
  503: 'Service unavailable',
};

/** An API failure. `message` is the server's `error` string when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly requestId: string | null;

  constructor(status: number, message: string, body: unknown = null, requestId: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.requestId = requestId;
  }

  /** True for a network failure (no HTTP response at all). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

/** The text to show a user for any thrown value. */
export function errorMessage(err: unknown, fallback = 'Something went wrong. Please try again.'): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return fallback;
}

function isJson(res: Response): boolean {
  return (res.headers.get('content-type') ?? '').toLowerCase().includes('json');
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  if (isJson(res) || /^[[{]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Maps a non-2xx response to an ApiError carrying the server's `error` message. */
export async function toApiError(res: Response): Promise<ApiError> {
  const body = await readBody(res).catch(() => null);
  let message: string | undefined;
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
    message = (body as { error: string }).error;
  }
  if (!message) message = STATUS_FALLBACK[res.status] ?? `Request failed (HTTP ${res.status})`;
  return new ApiError(res.status, message, body, res.headers.get('x-request-id'));
}

function buildQuery(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private accessToken: string | null = null;
  private refreshToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly refreshRetryDelayMs: number;
  onSessionExpired: (() => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    // Late-bound so tests (and polyfills) can replace globalThis.fetch.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onSessionExpired = options.onSessionExpired;
    this.refreshRetryDelayMs = options.refreshRetryDelayMs ?? 500;
  }

  get token(): string | null {
    return this.accessToken;
  }

  setTokens(tokens: StoredTokens): void {
    this.accessToken = tokens.accessToken || null;
    if (tokens.refreshToken !== undefined) this.refreshToken = tokens.refreshToken || null;
  }

  clearTokens(): void {
    this.accessToken = null;
    this.refreshToken = null;
  }

  get<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  put<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  delete<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? 'required';
    const url = this.baseUrl + path + buildQuery(options.query);

    if (auth === 'required' && !this.accessToken) {
      // Page load or after a reload: the refresh cookie may still hold a session.
      if (!(await this.refresh())) throw this.expire();
    }

    const sentWith = this.accessToken;
    let res = await this.send(method, url, options, auth);
    if (res.status === 401 && auth === 'required') {
      // Another call may already have refreshed while this one was in flight.
      const refreshedElsewhere = this.accessToken !== null && this.accessToken !== sentWith;
      const refreshed = refreshedElsewhere || (await this.refresh());
      if (!refreshed) {
        await res.body?.cancel().catch(() => undefined);
        throw this.expire();
      }
      res = await this.send(method, url, options, auth);
      if (res.status === 401) {
        // Even a fresh token is refused: the session is gone. Never loop.
        const err = await toApiError(res);
        this.expire();
        throw err;
      }
    }

    if (!res.ok) throw await toApiError(res);
    if (res.status === 204) return undefined as T;
    return (await readBody(res)) as T;
  }

  /**
   * POST /api/auth/refresh (cookie-based; the body carries a refresh token only
   * when one is held in memory). Concurrent callers share one request.
   * Resolves `true` when a new access token was stored; `false` when the
   * server refused; rejects with a network ApiError when unreachable.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const first = await this.refreshOnce();
    // A lost refresh race looks like a 401; the cookie jar may already hold the
    // winner's token. Only cookie-based refreshes can benefit from a retry.
    if (first !== 401 || this.refreshToken) return first === true;
    await new Promise((resolve) => setTimeout(resolve, this.refreshRetryDelayMs));
    return (await this.refreshOnce()) === true;
  }

  /** One POST /api/auth/refresh: `true` on success, else the HTTP status. */
  private async refreshOnce(): Promise<true | number> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + '/api/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(this.refreshToken ? { refreshToken: this.refreshToken } : {}),
      });
    } catch {
      throw new ApiError(0, NETWORK_ERROR);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return res.status;
    }
    const body = (await readBody(res).catch(() => null)) as Record<string, unknown> | null;
    const access = body?.accessToken ?? body?.access_token;
    const refresh = body?.refreshToken ?? body?.refresh_token;
    if (typeof access !== 'string' || !access) return res.status;
    this.accessToken = access;
    if (this.refreshToken && typeof refresh === 'string' && refresh) this.refreshToken = refresh;
    return true;
  }

  private expire(): ApiError {
    this.clearTokens();
    this.onSessionExpired?.();
    return new ApiError(401, SESSION_EXPIRED);
  }

  private async send(method: string, url: string, options: RequestOptions, auth: AuthMode): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (method === 'POST' || method === 'PUT') {
      // Moderation and similar endpoints take an ignored JSON body; clients send {}.
      headers['Content-Type'] = 'application/json';
      body = '{}';
    }
    if (auth !== 'none' && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: options.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, NETWORK_ERROR);
    }
  }
}
