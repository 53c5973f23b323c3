import { createInterface } from 'node:readline/promises';
import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

/** What to ask before a change to a real account. */
export interface ConfirmRequest {
  /** The question, e.g. `Delete 2 VMs from your Scaleway account?` */
  question: string;
  /** What is being refused when no one can answer, e.g. `delete VMs`. */
  action: string;
  /** `--yes` was given: do not ask. */
  yes: boolean;
}

/**
 * Ask on the terminal before changing a real account. Resolves `true` for "y"/"yes"; `false` for anything else or
 * end of input; rejects with the interrupt's reason when the user interrupts instead. Without a terminal to ask on
 * (and without `--yes`) it refuses with a {@link UsageError}, because a script must say `--yes` explicitly.
 */
export async function confirm(io: CliIo, request: ConfirmRequest): Promise<boolean> {
  if (request.yes) return true;
  if (io.stdin.isTTY !== true) {
    throw new UsageError(
      `refusing to ${request.action} without confirmation: stdin is not a terminal; pass --yes to proceed`,
    );
  }
  const { signal } = io;
  signal?.throwIfAborted();
  io.stderr.write(`${request.question} [y/N] `);
  const lines = createInterface({ input: io.stdin, terminal: false });
  let onAbort: (() => void) | undefined;
  try {
    const closed = new Promise<string>((resolve) => lines.once('close', () => resolve('')));
    const interrupted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const answer = await Promise.race([lines.question(''), closed, interrupted]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    lines.close();
  }
}
