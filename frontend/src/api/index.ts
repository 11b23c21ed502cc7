import { api } from './instance';
import { authEndpoints } from './auth';
import { roomEndpoints } from './rooms';
import { adminEndpoints } from './admin';

export { api };
export { ApiClient, ApiError, errorMessage, SESSION_EXPIRED } from './client';
export { oauthLoginUrl } from './auth';
export { isArchivedOwned, moderationPath } from './rooms';
export type * from './types';

export const authApi = authEndpoints(api);
export const roomApi = roomEndpoints(api);
export const adminApi = adminEndpoints(api);
