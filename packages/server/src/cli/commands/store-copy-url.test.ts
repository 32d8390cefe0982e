import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseStoreUrl, scrubSecrets } from "./store-copy-url.js";

describe("parseStoreUrl()", () => {
  it("reads sqlite: paths, relative or absolute, as written", () => {
    expect(parseStoreUrl("sqlite:./.keyward/keyward.db")).toMatchObject({
      kind: "sqlite",
      path: "./.keyward/keyward.db",
    });
    expect(parseStoreUrl("sqlite:///var/lib/keyward/keyward.db")).toMatchObject({
      path: "/var/lib/keyward/keyward.db",
    });
    expect(parseStoreUrl("sqlite:data dir/k?#.db")).toMatchObject({ path: "data dir/k?#.db" });
    expect(() => parseStoreUrl("sqlite:")).toThrow(InvalidArgumentError);
  });

  it("takes the schema out of a PostgreSQL URL and masks every password it holds", () => {
    const url = parseStoreUrl(
      "postgresql://kw:p%40ss%2Fw@db.internal:5433/keyward?schema=kw_prod&sslmode=require",
    );
    expect(url).toMatchObject({
      kind: "postgres",
      connectionString: "postgresql://kw:p%40ss%2Fw@db.internal:5433/keyward?sslmode=require",
      schema: "kw_prod",
      display: "postgresql://kw:***@db.internal:5433/keyward?sslmode=require&schema=kw_prod",
      hasPassword: true,
    });
    expect(scrubSecrets(url, "auth failed for p@ss/w and p%40ss%2Fw")).toBe("auth failed for *** and ***");

    const inQuery = parseStoreUrl("postgres://kw@db/keyward?password=hunter2");
    expect(inQuery).toMatchObject({ display: "postgres://kw@db/keyward?password=***", hasPassword: true });
    expect(parseStoreUrl("postgres://kw@db/keyward")).toMatchObject({ schema: "public", hasPassword: false });
  });

  it("refuses other schemes and bad schema names without repeating the value", () => {
    for (const value of [
      "mysql://root:hunter2@db/keyward",
      "postgres://root:hunter2@[bad/keyward",
      "postgres://root:hunter2@db/keyward?schema=Bad-Name",
      "postgres://root:hunter2@db/keyward?schema=a&schema=b",
      "./keyward.db",
    ]) {
      expect(() => parseStoreUrl(value)).toThrow(InvalidArgumentError);
      expect(() => parseStoreUrl(value)).not.toThrow(/hunter2/);
    }
  });
});
