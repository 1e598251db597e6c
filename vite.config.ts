/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'editor',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    outDir: '../dist/editor',
    emptyOutDir: true,
    chunkSizeWarningLimit: 5000, // monaco's main chunk is ~4.3 MB
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    environment: 'node',
    testTimeout: 60000,
  },
});
