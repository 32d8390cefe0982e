/** The process around a CLI run, passed in so tests can run the CLI in-process with their own streams. */
export interface CliIo {
  /** Environment variables; the CLI reads configuration only from here, never from process.env. */
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborting it stops a running `serve` as SIGINT or SIGTERM would. */
  signal?: AbortSignal;
}
