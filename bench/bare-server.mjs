// The baseline for verify-throughput.mjs: a bare node:http server that does the least work a key check can do —
// parse the JSON body, one SHA-256 of the key, one Map lookup — and answers the same JSON, status and
// content type Keyward answers for a valid key. Run as its own process, like Keyward, so both are measured the
// same way.
//
// Env: BENCH_PORT (0 picks a free port), BENCH_KEY (the one valid key), BENCH_RESPONSE (the JSON Keyward returned
// for it). Prints `{"port":N}` on stdout once listening.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const key = process.env.BENCH_KEY;
const response = process.env.BENCH_RESPONSE;
if (!key || !response) {
  process.stderr.write("bare-server: set BENCH_KEY and BENCH_RESPONSE\n");
  process.exit(2);
}

const sha256 = (value) => createHash("sha256").update(value, "utf8").digest("latin1");
const records = new Map([[sha256(key), JSON.parse(response)]]);
const NOT_FOUND = { valid: false, code: "NOT_FOUND" };

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/v1/keys/verify") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const record = typeof body?.key === "string" ? records.get(sha256(body.key)) : undefined;
    const payload = JSON.stringify(record ?? NOT_FOUND);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  });
});

server.listen(Number(process.env.BENCH_PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
