import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { integerParser } from "./integer-parser.js";
import { parseJsonObject } from "./parse-json-object.js";
import { parseList } from "./parse-list.js";

describe("parseList()", () => {
  it("splits, trims and drops empty items", () => {
    expect(parseList("a, b,,c ")).toEqual(["a", "b", "c"]);
  });

  it("reads an empty value as the empty list, so --scopes '' clears scopes", () => {
    expect(parseList("")).toEqual([]);
  });
});

describe("parseJsonObject()", () => {
  it("parses a JSON object", () => {
    expect(parseJsonObject('{"plan":"pro","seats":3}')).toEqual({ plan: "pro", seats: 3 });
  });

  it.each([["not json"], ["[1,2]"], ["null"], ["3"], ['"text"']])("refuses %s", (text) => {
    expect(() => parseJsonObject(text)).toThrow(InvalidArgumentError);
  });
});

describe("integerParser()", () => {
  const parse = integerParser(1, 100);

  it("accepts whole numbers in range", () => {
    expect(parse("1")).toBe(1);
    expect(parse("100")).toBe(100);
  });

  it.each([["0"], ["101"], ["1.5"], ["ten"], [""], [" "]])("refuses %j", (text) => {
    expect(() => parse(text)).toThrow("from 1 to 100");
  });
});
