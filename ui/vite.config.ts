/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Tauri serves ui/dist from its own protocol; no dev server is needed to run the app.
export default defineConfig({
  resolve: {
    // Carbon's Sass refers to the IBM Plex font files as `~@ibm/plex-…`; bundle them
    // locally so the window never fetches fonts from a CDN (the CSP would block it).
    alias: [{ find: /^~(@ibm\/.*)$/, replacement: '$1' }],
  },
  css: { preprocessorOptions: { scss: { quietDeps: true, silenceDeprecations: ['mixed-decls', 'legacy-js-api'] } } },
  esbuild: { jsx: 'automatic' },
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { port: 1420, strictPort: true },
  test: {
    environment: 'jsdom',
    css: false,
    setupFiles: ['src/test/setup.ts'],
  },
});
