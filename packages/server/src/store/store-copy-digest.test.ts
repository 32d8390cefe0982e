import { describe, expect, it } from "vitest";
import { TableDigest } from "./store-copy-digest.js";
import type { CopyTable } from "./store-copy-tables.js";

const TABLE: CopyTable = {
  name: "things",
  columns: [
    { name: "id", type: "text" },
    { name: "n", type: "integer" },
    { name: "on", type: "boolean" },
    { name: "digest", type: "bytes" },
    { name: "note", type: "text" },
  ],
  primaryKey: ["id"],
};

describe("TableDigest", () => {
  it("gives a fixed digest for fixed rows (a known answer: stores verified by another build must still match)", () => {
    const digest = new TableDigest(TABLE);
    digest.add(["a", 1n, true, Buffer.from([0xde, 0xad]), 'café "q"']);
    digest.add(["b", -9_007_199_254_740_993n, false, Buffer.alloc(0), null]);
    expect(digest.rows).toBe(2);
    // printf '%s\n' '["things","id","n","on","digest","note"]' '["a",1,true,"dead","café \"q\""]' \
    //   '["b",-9007199254740993,false,"",null]' | sha256sum
    expect(digest.digest()).toBe("8117278050c087df21af215bca3d49892ee6bc83e97741c49e414e73a53bf0ae");
  });

  it("tells apart rows that differ only in type, position or null", () => {
    const one = (row: readonly (string | bigint | boolean | Buffer | null)[]) => {
      const d = new TableDigest(TABLE);
      d.add(row);
      return d.digest();
    };
    const digests = new Set([
      one(["a", 1n, true, null, null]),
      one(["a", 1n, true, null, "null"]),
      one(["a", 1n, true, null, ""]),
      one(["a", 1n, false, null, null]),
      one(["a", 10n, true, null, null]),
      one(["a", 1n, true, Buffer.alloc(0), null]),
      one(["a", 1n, true, null, "1"]),
    ]);
    expect(digests.size).toBe(7);
  });
});
