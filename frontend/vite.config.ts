import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Django serves the build through whitenoise at /static/ (designer/settings.py:
// STATICFILES_DIRS = [frontend/dist]) and returns dist/index.html for every
// non-API path, so asset URLs must start with /static/.
export default defineConfig({
  base: "/static/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8000", changeOrigin: false } },
  },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
