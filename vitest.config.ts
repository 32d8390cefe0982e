import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const coreSource = fileURLToPath(new URL("./packages/core/src/", import.meta.url));
const clientSource = fileURLToPath(new URL("./packages/client/src/", import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, never a stale dist/.
    alias: [
      { find: /^@keyward\/core\/(.*)\.js$/, replacement: `${coreSource}$1.ts` },
      { find: /^@keyward\/core\/(.*)$/, replacement: `${coreSource}$1.ts` },
      { find: /^@keyward\/client\/(.*)\.js$/, replacement: `${clientSource}$1.ts` },
      { find: /^@keyward\/client\/(.*)$/, replacement: `${clientSource}$1.ts` },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
