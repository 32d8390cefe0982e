import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coversPermissions, holdsPermission, isKnownPermission, PERMISSIONS } from "./permissions.js";

const permission = fc.constantFrom(...PERMISSIONS);
const wildcardOrPermission = fc.constantFrom("*", "keys:*", "projects:*", "tokens:*", ...PERMISSIONS);

describe("holdsPermission()", () => {
  it("holds a permission listed exactly", () => {
    expect(holdsPermission(["keys:read", "keys:create"], "keys:create")).toBe(true);
    expect(holdsPermission(["keys:read"], "keys:create")).toBe(false);
  });

  it("holds every keys: permission through keys:*, and nothing outside keys:", () => {
    for (const p of PERMISSIONS) {
      expect(holdsPermission(["keys:*"], p), p).toBe(p.startsWith("keys:"));
    }
  });

  it("holds everything through *", () => {
    for (const p of PERMISSIONS) expect(holdsPermission(["*"], p), p).toBe(true);
  });

  it("holds nothing with no permissions", () => {
    for (const p of PERMISSIONS) expect(holdsPermission([], p), p).toBe(false);
  });
});

describe("coversPermissions()", () => {
  it("lets keys:* cover keys:create, but not keys:create cover keys:*", () => {
    expect(coversPermissions(["keys:*"], ["keys:create"])).toBe(true);
    expect(coversPermissions(["keys:create"], ["keys:*"])).toBe(false);
  });

  it("lets * cover everything, * included, and nothing less cover *", () => {
    expect(coversPermissions(["*"], ["*", "keys:*", "tokens:write", "projects:read"])).toBe(true);
    expect(coversPermissions(["keys:*", "projects:*", "tokens:*"], ["*"])).toBe(false);
    expect(coversPermissions([...PERMISSIONS], ["*"])).toBe(false);
  });

  it("requires every requested permission to be covered", () => {
    expect(coversPermissions(["keys:*", "tokens:read"], ["keys:read", "tokens:read"])).toBe(true);
    expect(coversPermissions(["keys:*", "tokens:read"], ["keys:read", "tokens:write"])).toBe(false);
  });

  it("covers an empty request with any held set, even an empty one", () => {
    expect(coversPermissions([], [])).toBe(true);
    expect(coversPermissions(["keys:read"], [])).toBe(true);
  });

  it("always covers a request with the same permissions", () => {
    fc.assert(fc.property(fc.array(wildcardOrPermission), (held) => coversPermissions(held, held)));
  });

  it("lets * cover any request", () => {
    fc.assert(
      fc.property(fc.array(wildcardOrPermission), (requested) => coversPermissions(["*"], requested)),
    );
  });

  it("covers a request only when each requested permission is covered on its own", () => {
    fc.assert(
      fc.property(fc.array(wildcardOrPermission), fc.array(wildcardOrPermission), (held, requested) => {
        expect(coversPermissions(held, requested)).toBe(requested.every((r) => coversPermissions(held, [r])));
      }),
    );
  });

  it("never lets a token without * cover a request for *", () => {
    fc.assert(fc.property(fc.array(permission), (held) => !coversPermissions(held, ["*"])));
  });
});

describe("isKnownPermission()", () => {
  it("knows every listed permission and *", () => {
    for (const p of PERMISSIONS) expect(isKnownPermission(p), p).toBe(true);
    expect(isKnownPermission("*")).toBe(true);
  });

  it("knows a wildcard that covers at least one permission", () => {
    for (const p of ["keys:*", "projects:*", "tokens:*"]) expect(isKnownPermission(p), p).toBe(true);
  });

  it("does not know made-up permissions, wildcards covering nothing, or near misses", () => {
    for (const p of [
      "",
      "keys",
      "keys:",
      "keys:delete",
      "Keys:read",
      "foo:*",
      "keys:create:*",
      " keys:read",
      "**",
    ]) {
      expect(isKnownPermission(p), JSON.stringify(p)).toBe(false);
    }
  });
});
