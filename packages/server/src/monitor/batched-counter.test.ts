import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createBatchedCounter } from "./batched-counter.js";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("createBatchedCounter()", () => {
  it("exports initial labels at 0 and adds each scrape's increments once, across scrapes", async () => {
    const registry = new Registry();
    const counter = createBatchedCounter({
      registry,
      name: "test_total",
      help: "A test counter.",
      labelName: "code",
      initial: ["A", "B"],
    });
    let text = await registry.metrics();
    expect(text).toContain("# TYPE test_total counter");
    expect(sample(text, 'test_total{code="A"}')).toBe(0);
    expect(sample(text, 'test_total{code="B"}')).toBe(0);
    counter.inc("A");
    counter.inc("A");
    counter.inc("C");
    text = await registry.metrics();
    expect(sample(text, 'test_total{code="A"}')).toBe(2);
    expect(sample(text, 'test_total{code="C"}')).toBe(1);
    text = await registry.metrics();
    expect(sample(text, 'test_total{code="A"}')).toBe(2);
    counter.inc("A");
    text = await registry.metrics();
    expect(sample(text, 'test_total{code="A"}')).toBe(3);
    expect(sample(text, 'test_total{code="B"}')).toBe(0);
  });
});
