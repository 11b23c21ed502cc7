import { api } from '../api/instance';
import { currentPathWithQuery, navigate } from '../lib/router';
import { createSession } from './session';
import { createSettingsStore } from './settings';
import { createThemeStore } from './theme';

/** App-wide store instances. */
export const session = createSession(api, {
  onExpired: () => {
    const here = currentPathWithQuery();
    if (!here.startsWith('/login')) navigate(`/login?redirect=${encodeURIComponent(here)}&expired=1`);
  },
});
export const publicSettings = createSettingsStore(api);
export const theme = createThemeStore();
export { toasts } from './toast';
