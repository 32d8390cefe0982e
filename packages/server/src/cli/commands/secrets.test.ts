import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";

let cli: CliTestServer;
let projectId: string;
const VALUE = "sk_live_cli_0123456789abcdefghij";

beforeAll(async () => {
  cli = await startCliTestServer("secrets");
  projectId = (await cli.client.createProject({ name: "vault-cli", keyPrefix: "vcli" })).id;
});
afterAll(async () => {
  await cli?.close();
});

describe("keyward secrets", () => {
  it("creates from stdin, lists, shows, updates, reveals and deletes; the value is printed only by reveal", async () => {
    const created = await cli.run(
      ["secrets", "create", "--name", "STRIPE_API_KEY", "--project", projectId, "--json"],
      `${VALUE}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    const secret = JSON.parse(created.stdout) as { id: string; name: string };
    expect(secret.name).toBe("STRIPE_API_KEY");
    expect(created.stdout).not.toContain(VALUE);

    const listed = await cli.run(["secrets", "list", "--project", projectId]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("STRIPE_API_KEY");
    expect(listed.stdout).toContain("never");
    const shown = await cli.run(["secrets", "show", secret.id]);
    expect(shown.stdout).toContain(secret.id);
    for (const run of [listed, shown]) expect(run.stdout).not.toContain(VALUE);

    const revealed = await cli.run(["secrets", "reveal", secret.id]);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toBe(`${VALUE}\n`);

    const updated = await cli.run(["secrets", "update", secret.id, "--json"], "second value");
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).not.toContain("second value");
    const again = await cli.run(["secrets", "reveal", secret.id, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: secret.id, value: "second value" });

    const deleted = await cli.run(["secrets", "delete", secret.id]);
    expect(deleted.stdout).toContain(`Deleted secret ${secret.id}.`);
    const gone = await cli.run(["secrets", "show", secret.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: /);
  });

  it("reads the value from stdin only: an empty stdin is refused, and an over-long one is refused without echo", async () => {
    const empty = await cli.run(["secrets", "create", "--name", "EMPTY"]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^error: VALIDATION_ERROR: No secret value on standard input/);
    const long = `${VALUE}${"x".repeat(9_000)}`;
    const tooLong = await cli.run(["secrets", "create", "--name", "LONG"], long);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).not.toContain(VALUE);
    expect((await cli.run(["secrets", "create", "--name", "X", VALUE])).code).not.toBe(0);
  });

  it("turns recoverable keys on for a project, and keys reveal prints a key issued after", async () => {
    const on = await cli.run(["projects", "update", projectId, "--recoverable-keys"]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/recoverable keys\s+yes/);
    const key = await cli.client.createKey({ projectId });
    const revealed = await cli.run(["keys", "reveal", key.id]);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toBe(`${key.key}\n`);
    const off = await cli.run(["projects", "update", projectId, "--no-recoverable-keys", "--json"]);
    expect(JSON.parse(off.stdout).recoverableKeys).toBe(false);
    const gone = await cli.run(["keys", "reveal", key.id]);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: /);
  });
});
