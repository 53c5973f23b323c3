import { EXIT_INTERRUPTED } from './exit-codes.js';
import { InterruptedError } from './interrupted-error.js';

/**
 * A stream the CLI writes to. `isTTY` decides colours and the spinner; the spinner also needs the cursor methods
 * of a real terminal stream (`tty.WriteStream`), and without them progress is printed as plain lines.
 */
export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
  cursorTo?: (x: number, y?: number) => boolean;
  moveCursor?: (dx: number, dy: number) => boolean;
  clearLine?: (direction: -1 | 0 | 1) => boolean;
}

/** The stream confirmations are read from. Only a TTY can be asked a question. */
export type InputStream = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * Everything the CLI touches outside itself, so that tests run it in-process with fake streams, a chosen
 * environment, a guarded `fetch` and interrupts of their own.
 */
export interface CliIo {
  /** Results: tables, or one JSON document with `--json`. */
  stdout: OutputStream;
  /** Progress, errors, prompts and `--verbose` request logs. */
  stderr: OutputStream;
  stdin: InputStream;
  /** Where credentials and colour settings are read from (`SCW_SECRET_KEY`, `HCLOUD_TOKEN`, `NO_COLOR`, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** The fetch the providers use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Aborted when the user interrupts (Ctrl-C): every provider call gets it, the running command stops, the demo
   * deletes the VMs it created, and the exit code is 130. The executable wires it to SIGINT and SIGTERM with
   * {@link interruptOnSignals}.
   */
  signal?: AbortSignal;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** The process's SIGINT and SIGTERM, as an abort signal. */
export interface Interrupts {
  /** Aborted, with an {@link InterruptedError}, at the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Remove the signal handlers. */
  remove(): void;
}

/**
 * Turn the first SIGINT or SIGTERM into an abort of the returned signal, so that the command can clean up; a second
 * one exits at once with code 130, for when the cleanup itself hangs.
 */
export function interruptOnSignals(): Interrupts {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(new InterruptedError(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
