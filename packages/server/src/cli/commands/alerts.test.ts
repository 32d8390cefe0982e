import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";

let cli: CliTestServer;
let client: CliTestServer["client"];
const run = (argv: string[]) => cli.run(argv);

beforeAll(async () => {
  cli = await startCliTestServer("alerts");
  client = cli.client;
});
afterAll(async () => {
  await cli?.close();
});

describe("keyward alerts", () => {
  it("lists alerts as JSON and as a table, filters them, and acknowledges one", async () => {
    const project = await client.createProject({ name: "alerts-cli", keyPrefix: "acli" });
    const canary = await client.createKey({ projectId: project.id, canary: true });
    expect((await client.verifyKey({ key: canary.key, ip: "192.0.2.44" })).code).toBe("NOT_FOUND");
    await cli.server.instance.anomalies.flush();

    const listed = await run(["alerts", "list", "--project", project.id, "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as { items: Array<{ id: string; type: string; keyId: string }> };
    expect(page.items.map((a) => [a.type, a.keyId])).toEqual([["canary", canary.id]]);
    const id = page.items[0]?.id ?? "";

    const table = await run(["alerts", "list", "--project", project.id, "--type", "canary", "--open"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain("canary");
    expect(table.stdout).not.toContain(canary.key);

    const acked = await run(["alerts", "ack", id, "--json"]);
    expect(acked.code, acked.stderr).toBe(0);
    expect(JSON.parse(acked.stdout)).toMatchObject({ id, acknowledgedBy: expect.stringMatching(/^tok_/) });
    const open = await run(["alerts", "list", "--project", project.id, "--open"]);
    expect(open.stdout).toContain("No alerts.");
    const human = await run(["alerts", "ack", id]);
    expect(human.stdout).toContain(id);
  });

  it("refuses --open with --acknowledged, an unknown type, and an unknown alert", async () => {
    const both = await run(["alerts", "list", "--open", "--acknowledged"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("exclude each other");
    expect((await run(["alerts", "list", "--type", "sparkle"])).code).toBe(2);
    const missing = await run(["alerts", "ack", "alr_0000000000000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No alert has this id.");
  });
});
