import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressBar } from "./progress-bar.js";

function stream(tty: boolean): {
  out: PassThrough & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  const out: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  if (tty) {
    out.isTTY = true;
    out.columns = 60;
  }
  let text = "";
  out.on("data", (chunk) => {
    text += String(chunk);
  });
  return { out, text: () => text };
}

describe("ProgressBar", () => {
  it("on a terminal, redraws one line at most every redrawMs and keeps each finished step's line", () => {
    let nowMs = 0;
    const { out, text } = stream(true);
    const bar = new ProgressBar({ stream: out, now: () => nowMs, redrawMs: 100 });
    bar.update("copy keys", 0, 4);
    nowMs += 50;
    bar.update("copy keys", 1, 4); // too soon: skipped
    nowMs += 100;
    bar.update("copy keys", 2, 4);
    bar.update("copy keys", 4, 4); // complete: always drawn, and ends the line
    bar.update("copy events", 0, 0);
    bar.finish();
    expect(text().split("\r\x1b[2K").slice(1)).toEqual([
      `copy keys [${"-".repeat(37)}]   0% 0/4`,
      `copy keys [${"#".repeat(19)}${"-".repeat(18)}]  50% 2/4`,
      `copy keys [${"#".repeat(37)}] 100% 4/4\n`,
      `copy events [${"#".repeat(35)}] 100% 0/0\n`,
    ]);
  });

  it("elsewhere, writes a line when a step finishes and at most every lineMs in between", () => {
    let nowMs = 0;
    const { out, text } = stream(false);
    const bar = new ProgressBar({ stream: out, now: () => nowMs, lineMs: 5_000 });
    bar.update("copy keys", 0, 3_000);
    nowMs += 4_000;
    bar.update("copy keys", 1_000, 3_000);
    nowMs += 1_000;
    bar.update("copy keys", 2_000, 3_000);
    bar.update("copy keys", 3_000, 3_000);
    bar.update("copy events", 0, 0);
    bar.finish();
    expect(text()).toBe("copy keys: 2000/3000\ncopy keys: 3000/3000 done\ncopy events: 0/0 done\n");
  });
});
