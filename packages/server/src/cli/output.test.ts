import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Output } from "./output.js";

function capture(): { output: Output; text: () => string } {
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const io = { env: {}, stdout, stderr: new PassThrough(), stdin: new PassThrough() };
  return { output: new Output(io), text: () => chunks.join("") };
}

describe("Output", () => {
  it("json() writes one line of compact JSON", () => {
    const { output, text } = capture();
    output.json({ rootToken: "kwr_x" });
    expect(text()).toBe('{"rootToken":"kwr_x"}\n');
  });

  it("fields() aligns values and shows null and empty lists as -", () => {
    const { output, text } = capture();
    output.fields([
      ["id", "key_1"],
      ["scopes", ["a", "b"]],
      ["owner", null],
      ["meta", { plan: "pro" }],
      ["tags", []],
    ]);
    expect(text()).toBe('id      key_1\nscopes  a, b\nowner   -\nmeta    {"plan":"pro"}\ntags    -\n');
  });

  it("table() aligns columns under upper-case headers without trailing spaces", () => {
    const { output, text } = capture();
    output.table(
      [
        { id: "key_1", name: "a" },
        { id: "key_22", name: null },
      ],
      [
        { header: "id", cell: (r) => r.id },
        { header: "name", cell: (r) => r.name },
      ],
      "No keys.",
    );
    expect(text()).toBe("ID      NAME\nkey_1   a\nkey_22  -\n");
  });

  it("table() prints the empty message when there are no rows", () => {
    const { output, text } = capture();
    output.table([], [{ header: "id", cell: () => "" }], "No keys.");
    expect(text()).toBe("No keys.\n");
  });

  it("escapes terminal control and bidi override characters in stored text", () => {
    const { output, text } = capture();
    output.fields([["name", "evil\u001b]0;pwned\u0007\u202etxt\nnext"]]);
    expect(text()).toBe("name  evil\\u001b]0;pwned\\u0007\\u202etxt\\u000anext\n");
  });
});
