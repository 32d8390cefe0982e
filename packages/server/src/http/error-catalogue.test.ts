import { readFileSync } from "node:fs";
import { ERROR_CATALOGUE, type ErrorCode } from "@keyward/core/error-catalogue.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { PROBLEM_TYPE_BASE, toProblem } from "./problem.js";

const DOCS = readFileSync(new URL("../../../../docs/errors.md", import.meta.url), "utf8");
const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** Each `## CODE` section of docs/errors.md, by code; sections with other headings are skipped. */
function documentedSections(): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = DOCS.split(/^## /m).slice(1);
  for (const part of parts) {
    const heading = part.slice(0, part.indexOf("\n")).trim();
    if (!/^[A-Z][A-Z0-9_]*$/.test(heading)) continue;
    expect(sections.has(heading), `docs/errors.md has two sections for ${heading}`).toBe(false);
    sections.set(heading, part);
  }
  return sections;
}

describe("the error catalogue", () => {
  it("has a `## CODE` section in docs/errors.md for every code", () => {
    const documented = documentedSections();
    const missing = CODES.filter((code) => !documented.has(code));
    expect(missing, "codes without a section in docs/errors.md").toEqual([]);
  });

  it("has every code docs/errors.md documents", () => {
    const unknown = [...documentedSections().keys()].filter((code) => !Object.hasOwn(ERROR_CATALOGUE, code));
    expect(unknown, "sections in docs/errors.md for codes the catalogue lacks").toEqual([]);
  });

  it("is documented with each code's status and type URI", () => {
    const sections = documentedSections();
    for (const code of CODES) {
      const section = sections.get(code) ?? "";
      expect(section, code).toContain(`**Status:** ${ERROR_CATALOGUE[code].status}`);
      expect(section, code).toContain(`https://keyward.dev/errors/${code.toLowerCase()}`);
      expect(section, code).toContain("**When:**");
      expect(section, code).toContain("**What to do:**");
    }
  });

  it("gives every code a distinct type URI, a one-sentence title and an error status", () => {
    expect(PROBLEM_TYPE_BASE).toBe("https://keyward.dev/errors/");
    const types = new Set<string>();
    for (const code of CODES) {
      const problem = toProblem(new KeywardError(code), "req_test");
      expect(problem).toMatchObject({
        type: `https://keyward.dev/errors/${code.toLowerCase()}`,
        title: ERROR_CATALOGUE[code].title,
        status: ERROR_CATALOGUE[code].status,
        code,
        requestId: "req_test",
      });
      types.add(problem.type);
      expect(ERROR_CATALOGUE[code].title, code).toMatch(/^[A-Z][^.]*\.$/);
      expect(ERROR_CATALOGUE[code].status, code).toBeGreaterThanOrEqual(400);
      expect(ERROR_CATALOGUE[code].status, code).toBeLessThan(600);
    }
    expect(types.size).toBe(CODES.length);
  });

  it("turns an unknown error into INTERNAL_ERROR with a fixed detail that does not echo its message", () => {
    const problem = toProblem(new Error("secret kw_abc leaked in a driver message"), "req_test");
    expect(problem).toMatchObject({ code: "INTERNAL_ERROR", status: 500 });
    expect(problem.detail).not.toContain("kw_abc");
  });
});
