import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/keyward.js", import.meta.url));
const builtCli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const built = existsSync(builtCli);

if (!built) {
  const message =
    "packages/server/dist is absent: run `npm run build` (npm ci does it) to test the built bin";
  if (process.env.CI === "true") throw new Error(`CI=true requires the built bin tests: ${message}`);
  console.warn(`\n*** SKIPPING the built keyward bin tests: ${message} ***\n`);
}

function keyward(args: string[], env: Record<string, string> = {}, input?: string) {
  // A clean environment: the CLI must not depend on anything the test runner happens to export.
  return spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
    ...(input === undefined ? {} : { input }),
  });
}

describe.skipIf(!built)(
  "the built keyward bin (run `npm run build` first; CI builds in npm ci's prepare step)",
  () => {
    it("--help prints usage and exits 0", () => {
      const result = keyward(["--help"]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("Usage: keyward");
      expect(result.stdout).toMatch(/keys/);
    });

    it("passes runCli's exit code to the process: 1 for an error, 2 for a usage error", () => {
      const noToken = keyward(["keys", "verify"], {}, "kw_x");
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toMatch(/^error: CONFIG_INVALID: KEYWARD_TOKEN is not set[^\n]*\n$/);
      const unknown = keyward(["frob"]);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toMatch(/^error: USAGE_ERROR: unknown command 'frob'/);
    });
  },
);
