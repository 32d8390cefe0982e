#!/usr/bin/env node
// The `keyward` command: a thin shim over the built CLI, so all behaviour lives (and is tested) in runCli.
import { runCli } from "../dist/cli/main.js";

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
