import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import { parseConfig } from "../config.js";
import { type Instance, openInstance } from "../instance.js";
import type { SealedSecret } from "../kms/envelope.js";
import { LocalKms } from "../kms/local-kms.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Principal } from "./principal.js";
import { SecretService } from "./secret-service.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const VALUE = "sk_live_51HxTeStVaLuE0123456789abcdef";

let instance: Instance;
let clock: ManualClock;
let projectA: string;
let projectB: string;

beforeEach(async () => {
  clock = new ManualClock();
  instance = await openInstance({
    config: parseConfig({}, { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false }),
    clock,
    stores: openSqliteStores({ path: ":memory:" }),
    kms: new LocalKms(randomBytes(32)),
  });
  projectA = (await instance.projects.createProject(root, { name: "a" })).id;
  projectB = (await instance.projects.createProject(root, { name: "b" })).id;
});

afterEach(async () => {
  await instance.close();
});

function token(permissions: string[], projectIds: string[] | null = null): Principal {
  return { tokenId: `tok_${permissions.join("_")}`, permissions, projectIds };
}

/** Every audit entry, oldest first, as JSON text (what a scan for a leaked value reads). */
async function auditLog(): Promise<{ text: string; actions: string[]; outcomes: string[] }> {
  const entries = await instance.stores.audit.listAuditEntries({ order: "oldest", limit: 10_000 });
  return {
    text: JSON.stringify(entries),
    actions: entries.map((e) => e.action),
    outcomes: entries.map((e) => `${e.action}:${e.outcome}`),
  };
}

/** A service like the instance's, with a reveal limit tests can choose. */
function serviceWith(revealLimit: { limit: number; windowMs: number }): SecretService {
  return new SecretService({
    store: instance.stores.secrets,
    keys: instance.stores.keys,
    projects: instance.projects,
    kms: instance.kms,
    limiter: instance.limiter,
    audit: instance.stores.audit,
    clock,
    revealLimit,
  });
}

describe("SecretService: storing and listing", () => {
  it("stores a secret, shows metadata only, and audits the creation without the value", async () => {
    const created = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "STRIPE_API_KEY",
      value: VALUE,
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^sec_[0-9A-Za-z]{22}$/),
      projectId: projectA,
      name: "STRIPE_API_KEY",
      createdAt: clock.now(),
      updatedAt: clock.now(),
      createdBy: "tok_root",
      lastRevealedAt: null,
    });
    expect(await instance.secrets.getSecret(root, created.id)).toEqual(created);
    const sealed = await instance.stores.secrets.readSealedSecret(created.id);
    expect(sealed?.sealedValue).not.toContain(VALUE);
    const log = await auditLog();
    expect(log.actions).toContain("secret.created");
    expect(log.text).not.toContain(VALUE);
    expect(log.text).toContain('"name":"STRIPE_API_KEY"');
  });

  it("refuses bad names, empty and over-8-KiB values (counted in UTF-8 bytes), and a name taken in the project", async () => {
    for (const name of ["", "-lead", ".lead", "has space", "a/b", "ünïcode", "n".repeat(129)]) {
      const error = await expectKeywardError(
        instance.secrets.createSecret(root, { projectId: projectA, name, value: "v" }),
        "VALIDATION_ERROR",
      );
      expect(error.errors?.[0]?.pointer).toBe("/name");
    }
    for (const value of ["", "x".repeat(8193), "€".repeat(2731)]) {
      const error = await expectKeywardError(
        instance.secrets.createSecret(root, { projectId: projectA, name: "N", value }),
        "VALIDATION_ERROR",
      );
      expect(error.errors?.[0]?.pointer).toBe("/value");
      expect(error.message).not.toContain(value.slice(0, 8) || "\u0000");
    }
    await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "ok.name-1_X",
      value: "x".repeat(8192),
    });
    await instance.secrets.createSecret(root, { projectId: projectA, name: "DUP", value: "v" });
    await expectKeywardError(
      instance.secrets.createSecret(root, { projectId: projectA, name: "DUP", value: "w" }),
      "CONFLICT",
    );
    await instance.secrets.createSecret(root, { projectId: projectB, name: "DUP", value: "w" });
  });

  it("scopes secrets to the token's projects and its permissions", async () => {
    const a = await instance.secrets.createSecret(root, { projectId: projectA, name: "A", value: "a" });
    const b = await instance.secrets.createSecret(root, { projectId: projectB, name: "B", value: "b" });
    const onlyB = token(["secrets:read", "secrets:write", "secrets:reveal"], [projectB]);
    expect((await instance.secrets.listSecrets(onlyB, {})).items.map((s) => s.id)).toEqual([b.id]);
    expect((await instance.secrets.listSecrets(onlyB, { projectId: projectA })).items).toEqual([]);
    await expectKeywardError(instance.secrets.getSecret(onlyB, a.id), "NOT_FOUND");
    await expectKeywardError(instance.secrets.revealSecret(onlyB, a.id), "NOT_FOUND");
    await expectKeywardError(instance.secrets.updateSecret(onlyB, a.id, { value: "x" }), "NOT_FOUND");
    await expectKeywardError(instance.secrets.deleteSecret(onlyB, a.id), "NOT_FOUND");
    await expectKeywardError(
      instance.secrets.createSecret(onlyB, { projectId: projectA, name: "X", value: "x" }),
      "NOT_FOUND",
    );
    const reader = token(["secrets:read"]);
    await expectKeywardError(instance.secrets.revealSecret(reader, a.id), "FORBIDDEN");
    await expectKeywardError(
      instance.secrets.createSecret(reader, { projectId: projectA, name: "Y", value: "y" }),
      "FORBIDDEN",
    );
    await expectKeywardError(instance.secrets.listSecrets(token(["secrets:reveal"]), {}), "FORBIDDEN");
  });

  it("pages through secrets in creation order", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      ids.push(
        (await instance.secrets.createSecret(root, { projectId: projectA, name: `S${i}`, value: "v" })).id,
      );
    }
    const first = await instance.secrets.listSecrets(root, { limit: 3 });
    const second = await instance.secrets.listSecrets(root, { limit: 3, cursor: first.nextCursor ?? "" });
    expect([...first.items, ...second.items].map((s) => s.id)).toEqual(ids);
    expect(second.nextCursor).toBeNull();
  });

  it("re-seals an updated value and deletes, auditing each change without any value", async () => {
    const secret = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "S",
      value: VALUE,
    });
    const before = await instance.stores.secrets.readSealedSecret(secret.id);
    clock.advance(1_000);
    const updated = await instance.secrets.updateSecret(root, secret.id, { value: "second value" });
    expect(updated.updatedAt).toBe(clock.now());
    const after = await instance.stores.secrets.readSealedSecret(secret.id);
    expect(after?.sealedValue).not.toBe(before?.sealedValue);
    expect((await instance.secrets.revealSecret(root, secret.id)).value).toBe("second value");
    await instance.secrets.deleteSecret(root, secret.id);
    await expectKeywardError(instance.secrets.getSecret(root, secret.id), "NOT_FOUND");
    await expectKeywardError(instance.secrets.deleteSecret(root, secret.id), "NOT_FOUND");
    const log = await auditLog();
    expect(log.actions).toEqual(
      expect.arrayContaining(["secret.created", "secret.updated", "secret.revealed", "secret.deleted"]),
    );
    expect(log.text).not.toContain(VALUE);
    expect(log.text).not.toContain("second value");
  });
});

describe("SecretService: reveal", () => {
  it("returns the value once secret.revealed is audited, and sets lastRevealedAt", async () => {
    const secret = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "S",
      value: VALUE,
    });
    clock.advance(5_000);
    const revealed = await instance.secrets.revealSecret(root, secret.id);
    expect(revealed).toEqual({ record: { ...secret, lastRevealedAt: clock.now() }, value: VALUE });
    const entries = await instance.stores.audit.listAuditEntries({ order: "newest", limit: 1 });
    expect(entries[0]).toMatchObject({
      action: "secret.revealed",
      target: { type: "secret", id: secret.id },
      actor: { id: "tok_root" },
      outcome: "success",
    });
    expect(JSON.stringify(entries)).not.toContain(VALUE);
  });

  it("allows 10 reveals per token per minute, then TOO_MANY_REVEALS with a wait, counted per token", async () => {
    const secret = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "S",
      value: VALUE,
    });
    for (let i = 0; i < 10; i++) await instance.secrets.revealSecret(root, secret.id);
    const refused = await expectKeywardError(
      instance.secrets.revealSecret(root, secret.id),
      "TOO_MANY_REVEALS",
    );
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(refused.message).not.toContain(VALUE);
    // Another token has its own count; keys and secrets share one.
    const other = token(["secrets:reveal", "keys:reveal"]);
    await instance.secrets.revealSecret(other, secret.id);
    clock.advance(120_000);
    expect((await instance.secrets.revealSecret(root, secret.id)).value).toBe(VALUE);
    const revealed = (await auditLog()).actions.filter((a) => a === "secret.revealed");
    expect(revealed).toHaveLength(12);
  });

  it("fails with DECRYPTION_FAILED, audited as a failure, when any bit of the ciphertext or the wrapped data key flips", async () => {
    const service = serviceWith({ limit: 1_000_000, windowMs: 60_000 });
    const secret = await service.createSecret(root, { projectId: projectA, name: "S", value: "short value" });
    const original = (await instance.stores.secrets.readSealedSecret(secret.id))?.sealedValue ?? "";
    const sealed = JSON.parse(original) as SealedSecret;
    let flips = 0;
    for (const field of ["ct", "dek"] as const) {
      const bytes = Buffer.from(sealed[field], "base64");
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const tampered = JSON.stringify({ ...sealed, [field]: flipped.toString("base64") });
        await instance.stores.secrets.updateSecretValue(secret.id, tampered, clock.now());
        const error = await expectKeywardError(service.revealSecret(root, secret.id), "DECRYPTION_FAILED");
        expect(error.message).toMatch(/could not be decrypted/);
        flips += 1;
      }
    }
    expect(flips).toBeGreaterThan(600);
    await instance.stores.secrets.updateSecretValue(secret.id, "not json", clock.now());
    await expectKeywardError(service.revealSecret(root, secret.id), "DECRYPTION_FAILED");
    await instance.stores.secrets.updateSecretValue(secret.id, original, clock.now());
    expect((await service.revealSecret(root, secret.id)).value).toBe("short value");
    const { outcomes } = await auditLog();
    expect(outcomes.filter((o) => o === "secret.revealed:failure")).toHaveLength(flips + 1);
    expect(outcomes.filter((o) => o === "secret.revealed:success")).toHaveLength(1);
  }, 60_000);

  it("fails with DECRYPTION_FAILED when a sealed value is copied onto another secret's row", async () => {
    const a = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "A",
      value: "value of a",
    });
    const b = await instance.secrets.createSecret(root, {
      projectId: projectA,
      name: "B",
      value: "value of b",
    });
    const sealedA = (await instance.stores.secrets.readSealedSecret(a.id))?.sealedValue ?? "";
    await instance.stores.secrets.updateSecretValue(b.id, sealedA, clock.now());
    await expectKeywardError(instance.secrets.revealSecret(root, b.id), "DECRYPTION_FAILED");
    expect((await instance.secrets.revealSecret(root, a.id)).value).toBe("value of a");
  });
});

describe("SecretService: recoverable keys", () => {
  it("reveals keys created and rotated while the project keeps copies, audited as key.revealed", async () => {
    await instance.projects.updateProject(root, projectA, { recoverableKeys: true });
    const created = await instance.keys.createKey(root, { projectId: projectA, name: "kept" });
    expect(await instance.secrets.revealKey(root, created.record.id)).toEqual({
      id: created.record.id,
      key: created.key,
    });
    clock.advance(1_000);
    const rotated = await instance.keys.rotateKey(root, created.record.id, {});
    expect((await instance.secrets.revealKey(root, rotated.record.id)).key).toBe(rotated.key);
    const log = await auditLog();
    expect(log.actions.filter((a) => a === "key.revealed")).toHaveLength(2);
    expect(log.text).not.toContain(created.key);
    expect(log.text).not.toContain(rotated.key);
    expect(log.text).toContain('"recoverable":true');
  });

  it("keeps no copy by default, and turning the setting off deletes the copies kept", async () => {
    const plain = await instance.keys.createKey(root, { projectId: projectA });
    const error = await expectKeywardError(instance.secrets.revealKey(root, plain.record.id), "NOT_FOUND");
    expect(error.message).toMatch(/recoverableKeys/);
    await instance.projects.updateProject(root, projectA, { recoverableKeys: true });
    const kept = await instance.keys.createKey(root, { projectId: projectA });
    await instance.projects.updateProject(root, projectA, { recoverableKeys: false });
    await expectKeywardError(instance.secrets.revealKey(root, kept.record.id), "NOT_FOUND");
    expect(await instance.stores.secrets.readKeyCopy(kept.record.id)).toBeNull();
  });

  it("needs keys:reveal and a visible key; a copy moved to another key fails to decrypt", async () => {
    await instance.projects.updateProject(root, projectA, { recoverableKeys: true });
    const kept = await instance.keys.createKey(root, { projectId: projectA });
    await expectKeywardError(
      instance.secrets.revealKey(token(["keys:read", "secrets:reveal"]), kept.record.id),
      "FORBIDDEN",
    );
    await expectKeywardError(
      instance.secrets.revealKey(token(["keys:reveal"], [projectB]), kept.record.id),
      "NOT_FOUND",
    );
    await expectKeywardError(instance.secrets.revealKey(root, "key_missing"), "NOT_FOUND");

    // A second key whose stored copy is the first key's sealed copy: bound to the first key's id, so it fails.
    const copy = (await instance.stores.secrets.readKeyCopy(kept.record.id)) ?? "";
    const other = await instance.keys.createKey(root, { projectId: projectB });
    const victim = await instance.stores.keys.findKey(other.record.id);
    if (victim === null) throw new Error("the key vanished");
    const moved = { ...victim, id: `${victim.id.slice(0, -1)}Z` };
    await instance.stores.keys.createKey({
      record: moved,
      digest: randomBytes(32),
      pepperVersion: 1,
      sealedCopy: copy,
    });
    await expectKeywardError(instance.secrets.revealKey(root, moved.id), "DECRYPTION_FAILED");
  });
});
