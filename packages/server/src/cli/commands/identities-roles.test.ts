import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";

let cli: CliTestServer;

beforeAll(async () => {
  cli = await startCliTestServer("identities-roles");
});
afterAll(async () => {
  await cli?.close();
});

/** Runs a command that must succeed and returns its stdout. */
async function ok(argv: string[]): Promise<string> {
  const run = await cli.run(argv);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

describe("keyward permissions, roles and keys --role", () => {
  it("manages the catalogue and roles, gives keys roles, and verification grants their permissions", async () => {
    const permission = JSON.parse(
      await ok(["permissions", "create", "documents.read", "--name", "Read documents", "--json"]),
    ) as { id: string };
    expect(permission.id).toMatch(/^perm_[0-9a-f]{16}$/);
    expect(await ok(["permissions", "create", "documents.write", "--description", "Writes"])).toMatch(
      /^name +documents\.write$/m,
    );
    expect(await ok(["permissions", "list", "--search", "READ"])).toMatch(
      /^ID +SLUG +NAME +DESCRIPTION\nperm_\w+ +documents\.read +Read documents +-\n$/,
    );
    expect(await ok(["permissions", "show", permission.id])).toMatch(/^slug +documents\.read$/m);

    const role = JSON.parse(
      await ok(["roles", "create", "editor", "--permissions", "documents.read,documents.write", "--json"]),
    ) as { id: string; permissions: Array<{ slug: string }> };
    expect(role.permissions.map((p) => p.slug)).toEqual(["documents.read", "documents.write"]);
    expect(await ok(["roles", "list"])).toMatch(/^role_\w+ +editor +documents\.read, documents\.write +-$/m);
    expect(await ok(["roles", "set-permissions", "editor", "--permissions", "documents.read"])).toMatch(
      /^permissions +documents\.read$/m,
    );
    expect(JSON.parse(await ok(["roles", "show", role.id, "--json"]))).toMatchObject({ name: "editor" });

    const key = JSON.parse(await ok(["keys", "create", "--role", "editor", "--json"])) as {
      id: string;
      key: string;
      roles: string[];
    };
    expect(key.roles).toEqual([role.id]);
    expect(await ok(["keys", "show", key.id])).toMatch(new RegExp(`^roles +${role.id}$`, "m"));
    expect(await cli.client.verifyKey({ key: key.key, scopes: ["documents.read"] })).toMatchObject({
      valid: true,
      roles: ["editor"],
    });
    const stripped = JSON.parse(await ok(["keys", "update", key.id, "--no-roles", "--json"]));
    expect(stripped.roles).toEqual([]);
    const conflict = await cli.run(["keys", "update", key.id, "--no-roles", "--role", "editor"]);
    expect(conflict.code).toBe(2);
    expect((await ok(["keys", "update", key.id, "--role", role.id, "--json"])).includes(role.id)).toBe(true);

    expect(await ok(["permissions", "delete", "documents.write"])).toBe(
      "Deleted permission documents.write.\n",
    );
    expect(JSON.parse(await ok(["roles", "delete", "editor", "--json"]))).toEqual({
      id: "editor",
      deleted: true,
    });
    const gone = await cli.run(["roles", "show", "editor"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: /);
    const unknown = await cli.run(["keys", "update", key.id, "--role", "editor"]);
    expect(unknown.stderr).toMatch(/^error: VALIDATION_ERROR: /);
  });
});

describe("keyward identities", () => {
  it("creates, lists, shows, updates and deletes an identity", async () => {
    const created = await ok([
      "identities",
      "create",
      "cust_cli",
      "--meta",
      '{"plan":"pro"}',
      "--rate-limit",
      "requests=100/1m",
    ]);
    expect(created).toMatch(
      /^id +id_\S+\nexternal id +cust_cli\nmeta +\{"plan":"pro"\}\nrate limits +requests 100\/1m$/m,
    );
    expect(await ok(["identities", "list", "--search", "CUST"])).toMatch(
      /^id_\S+ +cust_cli +requests 100\/1m +\{"plan":"pro"\} +\S+$/m,
    );
    const shown = JSON.parse(await ok(["identities", "show", "cust_cli", "--json"])) as { id: string };
    expect(shown).toMatchObject({ externalId: "cust_cli", meta: { plan: "pro" } });

    const updated = JSON.parse(await ok(["identities", "update", shown.id, "--no-rate-limits", "--json"]));
    expect(updated).toMatchObject({ rateLimits: [], meta: { plan: "pro" } });
    const nothing = await cli.run(["identities", "update", shown.id]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("nothing to update");

    expect(await ok(["identities", "delete", "cust_cli"])).toBe("Deleted identity cust_cli.\n");
    const gone = await cli.run(["identities", "show", shown.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: /);
  });
});
