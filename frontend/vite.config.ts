import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// The message catalogues live with the Go backend (one file per language,
// shared by both), so dev must be allowed to read ../backend/i18n.
export default defineConfig({
  plugins: [svelte()],
  server: { fs: { allow: ['.', fileURLToPath(new URL('../backend/i18n/locales', import.meta.url))] } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
});
