import type { CliIo } from "./io.js";

/** What every command gets: the process around it, and the exit code to report when it finishes normally. */
export interface CommandContext {
  readonly io: CliIo;
  /** 0 unless a command's outcome (not an error) says otherwise, as `keys verify` does for an invalid key. */
  exitCode: number;
}
