import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTestServer, startCliTestServer } from "../../../test/support/cli-server.js";

let cli: CliTestServer;
let client: CliTestServer["client"];
const run = (argv: string[]) => cli.run(argv);

beforeAll(async () => {
  cli = await startCliTestServer("usage");
  client = cli.client;
});
afterAll(async () => {
  await cli?.close();
});

describe("keyward usage", () => {
  it("prints a key's usage as JSON, and as a table with a sparkline", async () => {
    const project = await client.createProject({ name: "usage-cli", keyPrefix: "ucli" });
    const key = await client.createKey({ projectId: project.id, scopes: ["read"] });
    await client.verifyKey({ key: key.key });
    await client.verifyKey({ key: key.key });
    await client.verifyKey({ key: key.key, scopes: ["write"] });
    await cli.server.instance.analytics?.flush();

    const json = await run(["usage", key.id, "--granularity", "minute", "--from", "10m", "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const usage = JSON.parse(json.stdout);
    expect(usage).toMatchObject({ keyId: key.id, granularity: "minute" });
    expect(usage.buckets.length).toBeGreaterThanOrEqual(10);
    // The server runs in real time: the three verifications may straddle a minute boundary.
    const counted = usage.buckets.filter((b: { total: number }) => b.total > 0) as { total: number }[];
    expect(counted.length).toBeGreaterThanOrEqual(1);
    expect(counted.reduce((sum, b) => sum + b.total, 0)).toBe(3);

    const human = await run(["usage", key.id, "--granularity", "minute", "--from", "10m"]);
    expect(human.code).toBe(0);
    const lines = human.stdout.split("\n");
    expect(lines[0]).toContain(`Key ${key.id}, minute buckets from `);
    expect(lines[1]).toBe("Total 3, VALID 2, INSUFFICIENT_SCOPE 1");
    expect(lines[2]).toMatch(/^[▁▂▃▄▅▆▇█]{10,}$/);
    expect(lines[2]).toContain("█");
    expect(lines[4]).toMatch(/^START\s+TOTAL\s+VALID\s+INSUFFICIENT_SCOPE$/);
    expect(lines[5]).toMatch(/^\S+Z\s+\d\s+\d\s+\d$/);
  });

  it("prints a project's totals and top keys, and the same report as JSON", async () => {
    const project = await client.createProject({ name: "usage-cli-top", keyPrefix: "utop" });
    const busy = await client.createKey({ projectId: project.id });
    const quiet = await client.createKey({ projectId: project.id });
    for (let i = 0; i < 3; i += 1) await client.verifyKey({ key: busy.key });
    await client.verifyKey({ key: quiet.key });
    await cli.server.instance.analytics?.flush();

    const json = await run(["usage", "--project", project.id, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      projectId: project.id,
      total: 4,
      groups: [
        { id: busy.id, total: 3 },
        { id: quiet.id, total: 1 },
      ],
    });
    const human = await run(["usage", "--project", project.id, "--limit", "1"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Project ${project.id}, hour buckets`);
    expect(human.stdout).toContain("Total 4, VALID 4");
    expect(human.stdout).toMatch(new RegExp(`KEY\\s+TOTAL\\s+VALID\\n${busy.id}\\s+3\\s+3\\n`));
    expect(human.stdout).not.toContain(quiet.id);
  });

  it("refuses a bad instant or --project with KEY_ID as a usage error, and reports API errors", async () => {
    const bad = await run(["usage", "--from", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: USAGE_ERROR: .*RFC 3339/);
    const both = await run(["usage", "key_x", "--project", "proj_x"]);
    expect(both.code).toBe(2);
    const missing = await run(["usage", "key_0000000000000000000000", "--json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: /);
    const tooMany = await run(["usage", "--granularity", "minute", "--from", "2d"]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^error: VALIDATION_ERROR: .*1500 minute buckets/);
  });
});
