import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Rust server embeds `dist/` and serves index.html for every non-/api path.
// During development, API calls are proxied to a locally running server.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const apiTarget = env.BEDRUD_API ?? 'http://127.0.0.1:8090';

export default defineConfig({
  plugins: [svelte()],
  // Component tests (happy-dom) need Svelte's browser runtime.
  resolve: env.VITEST ? { conditions: ['browser'] } : undefined,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/livekit': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
    testTimeout: 10000,
    restoreMocks: true,
  },
});
