import { describe, expect, it } from "vitest";
import { createRequestIdGenerator } from "./request-id.js";

describe("createRequestIdGenerator()", () => {
  it("makes ids of a fixed shape that never repeat within a process", () => {
    const next = createRequestIdGenerator();
    const ids = Array.from({ length: 10_000 }, next);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 10)) expect(id).toMatch(/^req_[0-9A-Za-z]{11}[0-9a-z]{11}$/);
  });

  it("gives two processes (two generators) disjoint ids", () => {
    const a = createRequestIdGenerator(() => new Uint8Array(8).fill(1));
    const b = createRequestIdGenerator(() => new Uint8Array(8).fill(2));
    expect(a()).not.toBe(b());
    expect(a().slice(0, 15)).not.toBe(b().slice(0, 15));
  });
});
