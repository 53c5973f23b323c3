/** A stream the CLI writes to. `isTTY` decides colours and the spinner. */
export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

/** The stream confirmations are read from. Only a TTY can be asked a question. */
export type InputStream = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * Everything the CLI touches outside itself, so that tests run it in-process with fake streams, a chosen
 * environment and a guarded `fetch`.
 */
export interface CliIo {
  /** Results: tables, or one JSON document with `--json`. */
  stdout: OutputStream;
  /** Progress, errors, prompts and `--verbose` request logs. */
  stderr: OutputStream;
  stdin: InputStream;
  /** Where credentials are read from (`SCW_SECRET_KEY`, `HCLOUD_TOKEN`, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** The fetch the providers use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
