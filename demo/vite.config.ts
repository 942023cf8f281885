import { defineConfig } from "vite";

// Packages resolve to their TypeScript source ("source" condition), so `npm run dev` needs no
// package build. In dev the page talks to the Earshot server on :2567 (Colyseus allows CORS);
// /api is proxied for the zone list.
export default defineConfig({
  resolve: { conditions: ["source", "module", "browser", "development|production"] },
  optimizeDeps: { exclude: ["@babylonjs/havok"] },
  build: { target: "es2022", chunkSizeWarningLimit: 10_000 },
  server: {
    proxy: { "/api": "http://localhost:2567" },
  },
});
