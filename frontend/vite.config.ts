/// <reference types="vitest/config" />
// Builds the SPA into dist/, which meshchat-web embeds (its build.rs).
// No inline scripts or styles come out of this build: the CSS is one linked
// file and the module preload helper lives in the entry chunk, so the
// server's CSP needs no 'unsafe-inline' for our own code.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

const API_PORT = process.env.MESHCHATX_API_PORT ?? '8000'

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // dist/.vite/manifest.json: which chunks the entry loads statically, for
    // scripts/check-dist.mjs (the build script skips dot-directories).
    manifest: true,
    // Vite would inline small assets as data: URLs; keep them as files.
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev` talks to a binary started with --no-https on :8000
    // (MESHCHATX_API_PORT picks another, so two dev setups can run side by side).
    proxy: {
      '/api': `http://127.0.0.1:${API_PORT}`,
      '/ws': { target: `ws://127.0.0.1:${API_PORT}`, ws: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
