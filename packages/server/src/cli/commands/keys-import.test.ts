import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";

let cli: CliTestServer;
let projectId: string;
let dir: string;

beforeAll(async () => {
  cli = await startCliTestServer("keys-import");
  projectId = (await cli.client.createProject({ name: "imported-cli", keyPrefix: "icli" })).id;
  dir = mkdtempSync(join(tmpdir(), "keyward-import-"));
});
afterAll(async () => {
  await cli?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

describe("keyward keys import", () => {
  it("imports the keys of a file, prints what failed and why, and the imported key verifies", async () => {
    const file = join(dir, "keys.json");
    writeFileSync(
      file,
      JSON.stringify({
        migrationId: "from_file",
        keys: [
          { hash: sha256Hex("unkey_cli_key"), ownerId: "cus_1", scopes: ["orders:read"] },
          { hash: "nope" },
        ],
      }),
    );
    const human = await cli.run(["keys", "import", "--project", projectId, "--file", file]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toBe(
      "Imported 1 key (migration from_file); 1 failed.\n  nope: hash must be a SHA-256 digest, hex or base64\n",
    );
    expect((await cli.run(["keys", "verify"], "unkey_cli_key")).code).toBe(0);

    const again = await cli.run(["keys", "import", "--project", projectId, "--file", file, "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({
      migrated: [],
      failed: [
        { hash: "nope", reason: "hash must be a SHA-256 digest, hex or base64" },
        { hash: sha256Hex("unkey_cli_key"), reason: "a key with this hash exists already" },
      ],
    });
  });

  it("refuses a file that is not a list of keys as a usage error", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ keys: [{ nohash: true }] }));
    const run = await cli.run(["keys", "import", "--project", projectId, "--file", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('each an object with a "hash" string');
  });
});
