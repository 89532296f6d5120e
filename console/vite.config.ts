import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// Served by the admin at /console (src/flyteplane/console/app.py); the build is committed so that the Python
// package installs without npm. Everything is bundled: the console loads nothing from the internet.
export default defineConfig({
  base: "/console/",
  plugins: [preact()],
  build: {
    outDir: "../src/flyteplane/console/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { "/api": "http://localhost:30080", "/logs": "http://localhost:30080" } },
});
