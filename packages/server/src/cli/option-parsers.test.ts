import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { booleanOption } from "./boolean-option.js";
import { collectOption } from "./collect-option.js";
import { integerParser } from "./integer-parser.js";
import { parseJsonObject } from "./parse-json-object.js";
import { parseList } from "./parse-list.js";
import { rateLimitOption } from "./rate-limit-option.js";
import { refillOption } from "./refill-option.js";
import { windowOption } from "./window-option.js";

describe("parseList()", () => {
  it("splits, trims and drops empty items", () => {
    expect(parseList("a, b,,c ")).toEqual(["a", "b", "c"]);
  });

  it("reads an empty value as the empty list, so --scopes '' clears scopes", () => {
    expect(parseList("")).toEqual([]);
  });
});

describe("booleanOption()", () => {
  it("reads true and false in any case, around spaces", () => {
    expect(booleanOption("true")).toBe(true);
    expect(booleanOption(" FALSE ")).toBe(false);
  });

  it.each([["yes"], ["1"], [""], ["on"]])("refuses %j", (text) => {
    expect(() => booleanOption(text)).toThrow(InvalidArgumentError);
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

describe("rateLimitOption()", () => {
  it("parses name=LIMIT/WINDOW and appends each use to the ones before", () => {
    const first = rateLimitOption("burst=100/1s", undefined);
    expect(first).toEqual([{ name: "burst", limit: 100, windowMs: 1_000 }]);
    expect(rateLimitOption(" api:v1.daily-x_=5000/1d ", first)).toEqual([
      { name: "burst", limit: 100, windowMs: 1_000 },
      { name: "api:v1.daily-x_", limit: 5_000, windowMs: 86_400_000 },
    ]);
    expect(rateLimitOption("fast=5/250ms", undefined)).toEqual([{ name: "fast", limit: 5, windowMs: 250 }]);
  });

  it.each([
    ["burst"],
    ["burst=100"],
    ["=100/1s"],
    ["burst=/1s"],
    ["burst=100/"],
    ["burst=100/1y"],
    ["burst=1.5/1s"],
    ["burst=-1/1s"],
    ["bu rst=100/1s"],
    ["burst=100/1s/2"],
    [`${"n".repeat(65)}=1/1s`],
  ])("refuses %j with the expected shape", (text) => {
    expect(() => rateLimitOption(text, undefined)).toThrow(InvalidArgumentError);
    expect(() => rateLimitOption(text, undefined)).toThrow("name=LIMIT/WINDOW");
  });
});

describe("refillOption()", () => {
  it("parses AMOUNT/day and AMOUNT/month", () => {
    expect(refillOption("5000/day")).toEqual({ amount: 5_000, interval: "day" });
    expect(refillOption(" 10/month ")).toEqual({ amount: 10, interval: "month" });
  });

  it.each([["5000"], ["5000/week"], ["day"], ["/month"], ["1.5/day"], ["5000/Day"]])("refuses %j", (text) => {
    expect(() => refillOption(text)).toThrow("AMOUNT/day or AMOUNT/month");
  });
});

describe("windowOption()", () => {
  it("reads a window into milliseconds", () => {
    expect(windowOption("1m")).toBe(60_000);
    expect(windowOption("500ms")).toBe(500);
  });

  it.each([["1"], ["soon"], ["0s"]])("refuses %j", (text) => {
    expect(() => windowOption(text)).toThrow("Expected a window");
  });
});

describe("collectOption()", () => {
  it("appends each use, trimmed", () => {
    expect(collectOption(" 10.0.0.0/8", collectOption("::1", undefined))).toEqual(["::1", "10.0.0.0/8"]);
  });
});
