import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluatePermissionQuery,
  MAX_PERMISSION_QUERY_DEPTH,
  MAX_PERMISSION_QUERY_LENGTH,
  type PermissionQuery,
  parsePermissionQuery,
  unmetPermissions,
} from "./permission-query.js";

function parse(text: string): PermissionQuery {
  const parsed = parsePermissionQuery(text);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${parsed.error}`);
  return parsed.query;
}

function allows(text: string, granted: string[]): boolean {
  return evaluatePermissionQuery(parse(text), granted);
}

const p = (name: string): PermissionQuery => ({ kind: "permission", name });

describe("parsePermissionQuery()", () => {
  it.each([
    ["documents.read", p("documents.read")],
    ["  documents.read\t", p("documents.read")],
    ["a AND b", { kind: "and", operands: [p("a"), p("b")] }],
    ["a OR b OR c", { kind: "or", operands: [p("a"), p("b"), p("c")] }],
    // AND binds tighter than OR.
    ["a OR b AND c", { kind: "or", operands: [p("a"), { kind: "and", operands: [p("b"), p("c")] }] }],
    ["a AND b OR c", { kind: "or", operands: [{ kind: "and", operands: [p("a"), p("b")] }, p("c")] }],
    ["a AND (b OR c)", { kind: "and", operands: [p("a"), { kind: "or", operands: [p("b"), p("c")] }] }],
    ["((a))", p("a")],
    ["(a)AND(b)", { kind: "and", operands: [p("a"), p("b")] }],
    ["api.*.read_key", p("api.*.read_key")],
    ["orders:read-all", p("orders:read-all")],
    // Keywords are uppercase: lowercase words are names.
    ["and", p("and")],
    ["ANDROID OR ORACLE", { kind: "or", operands: [p("ANDROID"), p("ORACLE")] }],
  ])("parses %j", (text, expected) => {
    expect(parsePermissionQuery(text)).toEqual({ ok: true, query: expected });
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["AND", /Expected a permission/],
    ["a AND", /ends where a permission was expected/],
    ["OR a", /Expected a permission/],
    ["a OR OR b", /Expected a permission or "\(" at position 6/],
    ["a b", /Expected AND, OR or the end at position 3/],
    ["a and b", /Expected AND, OR or the end at position 3/],
    ["(a", /closing parenthesis at position 3/],
    ["a)", /Expected AND, OR or the end at position 2/],
    ["()", /Expected a permission or "\(" at position 2/],
    ["a & b", /Unexpected character at position 3/],
    ["documents/read", /Unexpected character at position 10/],
    ["a AND é", /Unexpected character at position 7/],
    [`${"x".repeat(129)}`, /longer than 128/],
  ])("refuses %j", (text, message) => {
    const parsed = parsePermissionQuery(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it("accepts a name of 128 characters", () => {
    expect(parsePermissionQuery("x".repeat(128)).ok).toBe(true);
  });

  it(`bounds the length at ${MAX_PERMISSION_QUERY_LENGTH} characters`, () => {
    const atLimit = `a${" OR a".repeat((MAX_PERMISSION_QUERY_LENGTH - 1) / 5)}`.padEnd(
      MAX_PERMISSION_QUERY_LENGTH,
      " ",
    );
    expect(atLimit.length).toBe(MAX_PERMISSION_QUERY_LENGTH);
    expect(parsePermissionQuery(atLimit).ok).toBe(true);
    const over = `${atLimit} `;
    expect(parsePermissionQuery(over)).toEqual({ ok: false, error: expect.stringMatching(/at most 1000/) });
  });

  it(`bounds the nesting at ${MAX_PERMISSION_QUERY_DEPTH} levels of parentheses`, () => {
    const nested = (depth: number) => `${"(".repeat(depth)}a${")".repeat(depth)}`;
    expect(parsePermissionQuery(nested(MAX_PERMISSION_QUERY_DEPTH))).toEqual({ ok: true, query: p("a") });
    const deeper = parsePermissionQuery(nested(MAX_PERMISSION_QUERY_DEPTH + 1));
    expect(deeper).toEqual({ ok: false, error: expect.stringMatching(/deeper than 32/) });
  });

  it("never throws and answers within its bounds for any string", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom("a", "b", ".", "*", " ", "(", ")", "AND", "OR", "&", "é"),
          maxLength: 300,
        }),
        (text) => {
          const parsed = parsePermissionQuery(text);
          expect(typeof parsed.ok).toBe("boolean");
        },
      ),
    );
  });
});

describe("evaluatePermissionQuery()", () => {
  it.each([
    ["documents.read", ["documents.read"], true],
    ["documents.read", ["documents.write"], false],
    ["documents.read", [], false],
    ["a AND b", ["a", "b"], true],
    ["a AND b", ["a"], false],
    ["a OR b", ["b"], true],
    ["a OR b", ["c"], false],
    // AND over OR: a OR (b AND c).
    ["a OR b AND c", ["a"], true],
    ["a OR b AND c", ["b"], false],
    ["a OR b AND c", ["b", "c"], true],
    ["(a OR b) AND c", ["a"], false],
    ["(a OR b) AND c", ["a", "c"], true],
    ["documents.read AND (documents.write OR admin)", ["documents.read", "admin"], true],
    ["documents.read AND (documents.write OR admin)", ["documents.read"], false],
    // Keyward's wildcards: `*` grants everything, `a:*` every scope under `a:`.
    ["orders:read AND orders:write", ["orders:*"], true],
    ["billing:read", ["orders:*"], false],
    ["anything AND else", ["*"], true],
    // A wildcard in the query is a name like any other: only an equal scope (or `*`) grants it.
    ["orders:*", ["orders:read"], false],
    ["orders:*", ["orders:*"], true],
  ])("%j against %j is %s", (text, granted, expected) => {
    expect(allows(text, granted)).toBe(expected);
  });

  const name = fc.constantFrom("a", "b", "c", "d");
  const grantedSet = fc.subarray(["a", "b", "c", "d"]);

  it("agrees with a boolean reading of the query (AND over OR, parentheses first)", () => {
    // A random query tree, printed fully parenthesised and evaluated both ways.
    const tree = fc.letrec<{ node: PermissionQuery }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        name.map((n) => p(n)),
        fc.record({
          kind: fc.constantFrom("and" as const, "or" as const),
          operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }),
        }),
      ),
    })).node;
    const print = (q: PermissionQuery): string =>
      q.kind === "permission"
        ? q.name
        : `(${q.operands.map(print).join(q.kind === "and" ? " AND " : " OR ")})`;
    const truth = (q: PermissionQuery, granted: string[]): boolean =>
      q.kind === "permission"
        ? granted.includes(q.name)
        : q.kind === "and"
          ? q.operands.every((o) => truth(o, granted))
          : q.operands.some((o) => truth(o, granted));
    fc.assert(
      fc.property(tree, grantedSet, (q, granted) => {
        const text = print(q);
        const parsed = parsePermissionQuery(text);
        if (!parsed.ok) return parsed.error.includes("deeper");
        expect(evaluatePermissionQuery(parsed.query, granted)).toBe(truth(q, granted));
        return true;
      }),
    );
  });

  it("reads an unparenthesised chain as OR of ANDs", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(name, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        grantedSet,
        (groups, granted) => {
          const text = groups.map((g) => g.join(" AND ")).join(" OR ");
          const expected = groups.some((g) => g.every((n) => granted.includes(n)));
          expect(allows(text, granted)).toBe(expected);
        },
      ),
    );
  });
});

describe("unmetPermissions()", () => {
  it("names each ungranted permission once, in query order", () => {
    expect(unmetPermissions(parse("a AND (b OR c) AND b AND d"), ["a", "orders:*"])).toEqual(["b", "c", "d"]);
    expect(unmetPermissions(parse("orders:read"), ["orders:*"])).toEqual([]);
  });
});
