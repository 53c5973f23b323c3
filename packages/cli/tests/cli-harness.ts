import { PassThrough } from 'node:stream';
import {
  type EmulatorServer,
  HetznerEmulator,
  ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { afterEach } from 'vitest';
import type { CliIo, OutputStream } from '../src/cli-io.js';
import { InterruptedError } from '../src/interrupted-error.js';
import { run } from '../src/program.js';

/** Requests the loopback guard refused since the last test ended. */
const blockedRequests: string[] = [];

/**
 * Every URL the CLI fetches in a test must be on 127.0.0.1: a real API is never contacted. A refused request is
 * also recorded, because the CLI may report it as an ordinary network failure and the test could still pass.
 */
export const loopbackOnlyFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') {
    blockedRequests.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname}`);
    throw new Error(`test guard: refused a request to ${url.origin}; tests must only reach 127.0.0.1`);
  }
  return fetch(input, init);
};

// Registered in every test file that imports the harness: a refused request fails the test that sent it.
afterEach(() => {
  const blocked = blockedRequests.splice(0);
  if (blocked.length > 0) {
    throw new Error(`test guard: the CLI tried to leave 127.0.0.1: ${blocked.join(', ')}`);
  }
});

class CapturedStream implements OutputStream {
  text = '';
  isTTY = false;
  columns = 120;
  readonly #onWrite: ((text: string) => void) | undefined;

  constructor(onWrite?: (text: string) => void) {
    this.#onWrite = onWrite;
  }

  write(chunk: string): boolean {
    this.text += chunk;
    this.#onWrite?.(this.text);
    return true;
  }
}

/** A terminal with the cursor methods of `tty.WriteStream`, as the spinner needs them. */
class CapturedTerminal extends CapturedStream {
  override isTTY = true;

  cursorTo(): boolean {
    return true;
  }

  moveCursor(): boolean {
    return true;
  }

  clearLine(): boolean {
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The environment the CLI sees. Default: empty, so no real credential can leak in. */
  env?: Record<string, string>;
  /** Lines typed on a terminal; when given, stdin is a TTY. */
  typed?: string;
  /**
   * Make stdout and stderr terminals: `bare` has only `write` and `isTTY`, `cursor` also the cursor methods of a
   * real terminal stream.
   */
  terminal?: 'bare' | 'cursor';
  /** Interrupt the CLI, as Ctrl-C does, the first time stderr matches. */
  interruptWhen?: RegExp;
  /** Called after each write to stderr with everything written to it so far. */
  onStderr?: (text: string) => void;
}

/** A `sam-provider` run in progress, for commands that keep running until interrupted (`sandbox`). */
export interface RunningCli {
  /** Resolves once the command has ended. */
  done: Promise<RunResult>;
  /** Resolves with everything written to stdout so far, once it matches `pattern`. */
  stdoutMatching(pattern: RegExp): Promise<string>;
  /** Interrupt the command, as Ctrl-C does. */
  interrupt(): void;
}

/** Start `sam-provider args…` in-process with captured output and the loopback guard. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const interrupt = new AbortController();
  const onStderr = (text: string) => {
    if (options.interruptWhen?.test(text) === true && !interrupt.signal.aborted) {
      interrupt.abort(new InterruptedError());
    }
    options.onStderr?.(text);
  };
  const waiting: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  const onStdout = (text: string) => {
    for (const waiter of waiting.splice(0)) {
      if (waiter.pattern.test(text)) waiter.resolve(text);
      else waiting.push(waiter);
    }
  };
  const stdout =
    options.terminal === 'cursor' ? new CapturedTerminal(onStdout) : new CapturedStream(onStdout);
  const stderr =
    options.terminal === 'cursor' ? new CapturedTerminal(onStderr) : new CapturedStream(onStderr);
  if (options.terminal === 'bare') {
    stdout.isTTY = true;
    stderr.isTTY = true;
  }
  const stdin = Object.assign(new PassThrough(), { isTTY: options.typed !== undefined });
  if (options.typed !== undefined) stdin.end(options.typed);
  const io: CliIo = {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    fetch: loopbackOnlyFetch,
    signal: interrupt.signal,
  };
  const done = run(['node', 'sam-provider', ...args], io).then((code) => ({
    code,
    stdout: stdout.text,
    stderr: stderr.text,
  }));
  return {
    done,
    stdoutMatching: (pattern) =>
      new Promise<string>((resolve, reject) => {
        if (pattern.test(stdout.text)) resolve(stdout.text);
        else waiting.push({ pattern, resolve });
        // A command that ends first never prints it.
        void done.then((result) => reject(new Error(`ended with ${result.code} first: ${result.stderr}`)));
      }),
    interrupt: () => {
      if (!interrupt.signal.aborted) interrupt.abort(new InterruptedError());
    },
  };
}

/** Run `sam-provider args…` in-process with captured output and the loopback guard. */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<RunResult> {
  return startCli(args, options).done;
}

/** The variables of `export NAME=value` lines, as `sam-provider sandbox` prints them. */
export function exportedEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^export (\w+)=(\S*)$/gm)].map((match) => [match[1], match[2]]),
  );
}

/**
 * The credentials of the emulators the tests treat as real accounts. They are not the emulators' published ones:
 * with those, a loopback API URL is a sandbox, which is neither priced nor confirmed.
 */
export const ACCOUNT_SECRET_KEY = '5d0c9a7e-3b2f-4e1d-8c6b-9a8f7e6d5c4b';
export const ACCOUNT_PROJECT_ID = '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5f6e';
export const ACCOUNT_TOKEN = 'account-token-1111111111111111111111111111111111111111111111111111';

/** A Scaleway emulator on 127.0.0.1 that the CLI treats as a real account (credentials plus `--api-url`). */
export interface ScalewayAccount {
  emulator: ScalewayEmulator;
  server: EmulatorServer;
  /** The environment naming the account. */
  env: Record<string, string>;
  /** `--api-url` pointing at the loopback server. */
  flags: string[];
}

export async function startScalewayAccount(): Promise<ScalewayAccount> {
  const emulator = new ScalewayEmulator({ secretKey: ACCOUNT_SECRET_KEY, projectId: ACCOUNT_PROJECT_ID });
  const server = await startEmulatorServer(emulator);
  return {
    emulator,
    server,
    env: { SCW_SECRET_KEY: ACCOUNT_SECRET_KEY, SCW_DEFAULT_PROJECT_ID: ACCOUNT_PROJECT_ID },
    flags: ['--api-url', server.url],
  };
}

export interface HetznerAccount {
  emulator: HetznerEmulator;
  server: EmulatorServer;
  env: Record<string, string>;
  flags: string[];
}

export async function startHetznerAccount(): Promise<HetznerAccount> {
  const emulator = new HetznerEmulator({ token: ACCOUNT_TOKEN });
  const server = await startEmulatorServer(emulator);
  return {
    emulator,
    server,
    env: { HCLOUD_TOKEN: ACCOUNT_TOKEN },
    flags: ['--provider', 'hetzner', '--api-url', `${server.url}/v1`],
  };
}

/** Parse stdout as exactly one JSON document. */
export function parseJson(result: RunResult): unknown {
  return JSON.parse(result.stdout);
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
