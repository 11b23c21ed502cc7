import { ApiClient } from './client';

/** The app-wide client. The session store wires `onSessionExpired`. */
export const api = new ApiClient();
