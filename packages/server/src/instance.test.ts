import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestKey } from "@keyward/core/digest-key.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../test/support/expect-keyward-error.js";
import { ManualClock } from "../test/support/manual-clock.js";
import { parseConfig } from "./config.js";
import { DATABASE_FILE, type Instance, openInstance } from "./instance.js";
import { openSecret, type SealedSecret } from "./kms/envelope.js";
import { MASTER_KEY_FILE } from "./kms/master-key.js";
import type { Principal } from "./services/principal.js";
import { FIRST_PEPPER_NAME } from "./store/pepper-store.js";

describe("openInstance()", () => {
  let root: string;
  let dataDir: string;
  const opened: Instance[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "keyward-instance-"));
    // A directory that does not exist yet: opening must create it.
    dataDir = join(root, "data");
  });

  afterEach(async () => {
    for (const instance of opened.splice(0)) await instance.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function open(env: Record<string, string> = {}): Promise<Instance> {
    const instance = await openInstance({
      config: parseConfig({ KEYWARD_DATA_DIR: dataDir, ...env }),
      clock: new ManualClock(),
    });
    opened.push(instance);
    return instance;
  }

  async function closeAll(): Promise<void> {
    for (const instance of opened.splice(0)) await instance.close();
  }

  async function rootPrincipal(instance: Instance, token: string): Promise<Principal> {
    const principal = await instance.tokens.authenticate(token);
    if (principal === null) throw new Error("the root token must authenticate");
    return principal;
  }

  it("initializes a new data directory: a kwr_ root token, master.key with mode 0600 and keyward.db", async () => {
    const instance = await open();
    expect(instance.rootToken).toMatch(/^kwr_[0-9A-Za-z]+$/);
    expect(statSync(join(dataDir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
    const principal = await instance.tokens.authenticate(instance.rootToken as string);
    expect(principal).toMatchObject({ permissions: ["*"], projectIds: null });
  });

  it("a second open returns no root token, and the first root token still authenticates with every permission", async () => {
    const first = await open();
    const token = first.rootToken as string;
    await closeAll();

    const second = await open();
    expect(second.rootToken).toBeNull();
    const principal = await second.tokens.authenticate(token);
    expect(principal).not.toBeNull();
    expect(principal?.permissions).toEqual(["*"]);
    expect(principal?.projectIds).toBeNull();
  });

  it("keys made before a restart still verify after it", async () => {
    const first = await open();
    const token = first.rootToken as string;
    const { key } = await first.keys.createKey(await rootPrincipal(first, token), {
      scopes: ["orders:read"],
    });
    await closeAll();

    const second = await open();
    const result = await second.keys.verifyKey(await rootPrincipal(second, token), { key });
    expect(result).toMatchObject({ valid: true, code: "VALID" });
  });

  it("refuses a KEYWARD_MASTER_KEY other than the one the data directory was made with: MASTER_KEY_MISMATCH", async () => {
    await open();
    await closeAll();
    const other = randomBytes(32).toString("base64");
    const error = await expectKeywardError(open({ KEYWARD_MASTER_KEY: other }), "MASTER_KEY_MISMATCH");
    expect(error.message).not.toContain(other);
  });

  it("opens a data directory made with KEYWARD_MASTER_KEY again with the same key, and writes no master.key", async () => {
    const masterKey = randomBytes(32).toString("base64");
    const first = await open({ KEYWARD_MASTER_KEY: masterKey });
    const token = first.rootToken as string;
    await closeAll();
    expect(existsSync(join(dataDir, MASTER_KEY_FILE))).toBe(false);

    const second = await open({ KEYWARD_MASTER_KEY: masterKey });
    expect(second.rootToken).toBeNull();
    expect(await second.tokens.authenticate(token)).not.toBeNull();
    await closeAll();
    await expectKeywardError(open(), "MASTER_KEY_MISMATCH");
  });

  it("refuses a master.key that group or others can read: MASTER_KEY_INSECURE", async () => {
    await open();
    await closeAll();
    chmodSync(join(dataDir, MASTER_KEY_FILE), 0o644);
    await expectKeywardError(open(), "MASTER_KEY_INSECURE");
  });

  it("keeps the pepper sealed: the store holds {v, kid, dek, ct}, and only the master key opens it", async () => {
    const instance = await open();
    const token = instance.rootToken as string;
    const { key, record } = await instance.keys.createKey(await rootPrincipal(instance, token), {});

    const [stored] = (await instance.stores.peppers.listPeppers()).map((p) => p.sealedPepper);
    const sealed = JSON.parse(stored as string) as SealedSecret;
    expect(Object.keys(sealed).sort()).toEqual(["ct", "dek", "kid", "v"]);
    expect(sealed).toMatchObject({ v: 1, kid: instance.kms.keyId });

    // The pepper, recovered through the KMS, is what the key's stored digest was made with...
    const pepper = await openSecret(instance.kms, sealed, FIRST_PEPPER_NAME);
    expect(pepper).toHaveLength(32);
    expect((await instance.store.findKeyByDigest(digestKey(key, pepper)))?.record.id).toBe(record.id);
    // ...and no other pepper finds the key.
    expect(await instance.store.findKeyByDigest(digestKey(key, randomBytes(32)))).toBeNull();
    for (const part of [sealed.kid, sealed.dek, sealed.ct]) {
      expect(part).not.toContain(pepper.toString("base64"));
      expect(part).not.toContain(pepper.toString("hex"));
    }

    await closeAll();
    // Everything SQLite wrote (main file, and WAL or shared memory if any remain) holds no secret in plaintext.
    const files = readdirSync(dataDir).filter((f) => f.startsWith(DATABASE_FILE));
    expect(files).toContain(DATABASE_FILE);
    for (const file of files) {
      const bytes = readFileSync(join(dataDir, file));
      expect(bytes.includes(pepper), `${file} holds the raw pepper`).toBe(false);
      expect(bytes.includes(pepper.toString("base64")), `${file} holds the pepper in base64`).toBe(false);
      expect(bytes.includes(pepper.toString("hex")), `${file} holds the pepper in hex`).toBe(false);
      expect(bytes.includes(token), `${file} holds the root token`).toBe(false);
      expect(bytes.includes(key), `${file} holds an API key`).toBe(false);
    }
  });
});
