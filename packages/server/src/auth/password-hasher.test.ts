import { KeywardError } from "@keyward/core/keyward-error.js";
import { hash as argon2Hash } from "@node-rs/argon2";
import { describe, expect, it, vi } from "vitest";
import {
  type Argon2Parameters,
  Argon2PasswordHasher,
  DEFAULT_ARGON2_PARAMETERS,
  SALT_BYTES,
} from "./password-hasher.js";

// Cheap parameters where speed matters; one test below runs the production ones.
const CHEAP: Argon2Parameters = { memoryCostKiB: 256, timeCost: 1, parallelism: 1, outputLengthBytes: 32 };
const PASSWORD = "violet kettle drums on mars";

// From the reference implementation's README (phc-winner-argon2): `echo -n "password" | argon2 somesalt -t 2 -m 16
// -p 4 -l 24`, an argon2i hash made by another implementation.
const REFERENCE_ARGON2I = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";

describe("Argon2PasswordHasher", () => {
  const hasher = new Argon2PasswordHasher({ parameters: CHEAP });

  it("hash() makes an argon2id PHC string that verify() accepts for the same password only", async () => {
    const stored = await hasher.hash(PASSWORD);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
    expect(await hasher.verify(stored, `${PASSWORD} `)).toBe(false);
    expect(await hasher.verify(stored, "Violet kettle drums on mars")).toBe(false);
    expect(await hasher.verify(stored, "")).toBe(false);
  });

  it("salts every hash with the injected randomness", async () => {
    expect(await hasher.hash(PASSWORD)).not.toBe(await hasher.hash(PASSWORD));
    const zeros = new Argon2PasswordHasher({
      parameters: CHEAP,
      randomBytes: (size) => new Uint8Array(size),
    });
    const stored = await zeros.hash(PASSWORD);
    expect(stored).toContain(`$${"A".repeat(22)}$`);
    expect(await zeros.hash(PASSWORD)).toBe(stored);
  });

  it("hashes the NFKC form, so the same password typed composed or decomposed verifies", async () => {
    const stored = await hasher.hash("re\u0301sume\u0301 of a long career");
    expect(await hasher.verify(stored, "résumé of a long career")).toBe(true);
  });

  it("verifies a hash made by the argon2 reference implementation", async () => {
    expect(await hasher.verify(REFERENCE_ARGON2I, "password")).toBe(true);
    expect(await hasher.verify(REFERENCE_ARGON2I, "passwore")).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["not a PHC string", "garbage"],
    ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
    ["a truncated argon2id hash", "$argon2id$v=19$m=256,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$suNOfOjOLV1p"],
    ["an argon2id hash with no output", "$argon2id$v=19$m=256,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$"],
    ["a hash with an unknown algorithm", "$argon3$v=19$m=256,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"],
  ])("verify() returns false, without throwing, for a malformed stored hash: %s", async (_name, stored) => {
    await expect(hasher.verify(stored, PASSWORD)).resolves.toBe(false);
  });

  it("verifyAgainstDummy() returns false whatever the password", async () => {
    await expect(hasher.verifyAgainstDummy(PASSWORD)).resolves.toBe(false);
    await expect(hasher.verifyAgainstDummy("")).resolves.toBe(false);
  });

  it("refuses parameters argon2 cannot use", () => {
    for (const parameters of [
      { ...CHEAP, parallelism: 0 },
      { ...CHEAP, memoryCostKiB: 7 },
      { ...CHEAP, parallelism: 4, memoryCostKiB: 31 },
      { ...CHEAP, timeCost: 0 },
      { ...CHEAP, timeCost: 1.5 },
      { ...CHEAP, outputLengthBytes: 3 },
    ]) {
      expect(() => new Argon2PasswordHasher({ parameters }), JSON.stringify(parameters)).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID" }),
      );
    }
  });

  it("refuses a random source that returns the wrong number of bytes", () => {
    expect(
      () => new Argon2PasswordHasher({ parameters: CHEAP, randomBytes: () => new Uint8Array(8) }),
    ).toThrow(KeywardError);
  });
});

describe("Argon2PasswordHasher.needsRehash()", () => {
  const hasher = new Argon2PasswordHasher({ parameters: CHEAP });
  const hashWith = (options: Parameters<typeof argon2Hash>[1]): Promise<string> =>
    argon2Hash(PASSWORD, {
      algorithm: 2,
      memoryCost: CHEAP.memoryCostKiB,
      timeCost: CHEAP.timeCost,
      parallelism: CHEAP.parallelism,
      outputLen: CHEAP.outputLengthBytes,
      ...options,
    });

  it("is false for a hash made with the current parameters", async () => {
    expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
    expect(hasher.needsRehash(await hashWith({}))).toBe(false);
  });

  it.each([
    ["less memory", { memoryCost: 128 }],
    ["more memory", { memoryCost: 512 }],
    ["more passes", { timeCost: 2 }],
    ["more lanes", { parallelism: 2 }],
    ["a shorter output", { outputLen: 16 }],
    ["a shorter salt", { salt: new Uint8Array(8) }],
    ["argon2i", { algorithm: 1 }],
    ["argon2d", { algorithm: 0 }],
    ["argon2 version 16", { version: 0 }],
  ] as const)("is true for a hash made with %s", async (_name, options) => {
    const stored = await hashWith(options);
    // Still verifies, so the user can log in and be upgraded.
    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
    expect(hasher.needsRehash(stored)).toBe(true);
  });

  it.each([
    ["the reference argon2i hash", REFERENCE_ARGON2I],
    ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
    ["garbage", "garbage"],
  ])("is true for %s", (_name, stored) => {
    expect(hasher.needsRehash(stored)).toBe(true);
  });
});

describe("Argon2PasswordHasher with the production parameters", () => {
  const hasher = new Argon2PasswordHasher();

  it("uses argon2id, 64 MiB, 3 passes, 1 lane, 16-byte salt, 32-byte output", async () => {
    expect(hasher.parameters).toEqual(DEFAULT_ARGON2_PARAMETERS);
    expect(DEFAULT_ARGON2_PARAMETERS).toEqual({
      memoryCostKiB: 65536,
      timeCost: 3,
      parallelism: 1,
      outputLengthBytes: 32,
    });
    expect(SALT_BYTES).toBe(16);
    const stored = await hasher.hash(PASSWORD);
    expect(stored.startsWith("$argon2id$v=19$m=65536,t=3,p=1$")).toBe(true);
    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
    expect(await hasher.verify(stored, "another password entirely")).toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
    expect(new Argon2PasswordHasher({ parameters: CHEAP }).needsRehash(stored)).toBe(true);
  });

  it("verifyAgainstDummy() runs one full verify against a hash with the current parameters", async () => {
    // Structure, not a stopwatch: the same argon2id work as a real verify means the same time, and timed
    // assertions are flaky on shared machines (speed is the benchmarks' job).
    const verify = vi.spyOn(hasher, "verify");
    await expect(hasher.verifyAgainstDummy("a wrong guess at it")).resolves.toBe(false);
    expect(verify).toHaveBeenCalledTimes(1);
    const [dummyHash, password] = verify.mock.calls[0] ?? [];
    expect(password).toBe("a wrong guess at it");
    expect(dummyHash?.startsWith("$argon2id$v=19$m=65536,t=3,p=1$")).toBe(true);
    expect(hasher.needsRehash(dummyHash ?? "")).toBe(false);
  });
});
