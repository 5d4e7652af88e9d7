/// <reference types="vitest/config" />
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig, type Plugin } from "vite";
import preact from "@preact/preset-vite";

const BASE = "/static/";

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/**
 * Emits `sw.js` next to the built assets. The worker precaches the app shell only:
 * the index page ("/") and the hashed files of this build (plus the public icons and
 * manifest). It never touches `/api/` or `/ws/` (see sw/sw.template.js).
 */
function appShellServiceWorker(): Plugin {
  return {
    name: "app-shell-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      const publicDir = join(import.meta.dirname, "public");
      const publicFiles = listFiles(publicDir).map((f) => relative(publicDir, f).split("\\").join("/"));
      const built = Object.keys(bundle).filter((f) => f !== "index.html" && !f.endsWith(".map"));
      const precache = ["/", ...[...built, ...publicFiles].sort().map((f) => BASE + f)];
      const version = createHash("sha256").update(precache.join("\n")).digest("hex").slice(0, 12);
      const template = readFileSync(join(import.meta.dirname, "sw", "sw.template.js"), "utf8");
      const source = template
        .replace("__PRECACHE__", JSON.stringify(precache))
        .replace("__VERSION__", JSON.stringify(version))
        .replace("__BASE__", JSON.stringify(BASE));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}

export default defineConfig({
  base: BASE,
  plugins: [preact(), appShellServiceWorker()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No inline script anywhere (CSP default-src 'self').
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
    restoreMocks: true,
  },
});
