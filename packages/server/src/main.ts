import { runCli } from "./cli/main.js";

// The composition root for `npm start`: the same code path as `keyward serve`.
const exitCode = await runCli(["serve", ...process.argv.slice(2)], {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
if (exitCode !== 0) process.exitCode = exitCode;
