import { PassThrough } from 'node:stream';
import {
  type EmulatorServer,
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import type { CliIo, OutputStream } from '../src/cli-io.js';
import { run } from '../src/program.js';

/** Every URL the CLI fetches in a test must be on 127.0.0.1: a real API is never contacted. */
export const loopbackOnlyFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') {
    throw new Error(`test guard: refused a request to ${url.origin}; tests must only reach 127.0.0.1`);
  }
  return fetch(input, init);
};

class CapturedStream implements OutputStream {
  text = '';
  isTTY = false;

  write(chunk: string): boolean {
    this.text += chunk;
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
}

/** Run `sam-provider args…` in-process with captured output and the loopback guard. */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<RunResult> {
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const stdin = Object.assign(new PassThrough(), { isTTY: options.typed !== undefined });
  if (options.typed !== undefined) stdin.end(options.typed);
  const io: CliIo = { stdout, stderr, stdin, env: options.env ?? {}, fetch: loopbackOnlyFetch };
  const code = await run(['node', 'sam-provider', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

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
  const emulator = new ScalewayEmulator();
  const server = await startEmulatorServer(emulator);
  return {
    emulator,
    server,
    env: {
      SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
      SCW_DEFAULT_PROJECT_ID: SCALEWAY_EMULATOR_PROJECT_ID,
    },
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
  const emulator = new HetznerEmulator();
  const server = await startEmulatorServer(emulator);
  return {
    emulator,
    server,
    env: { HCLOUD_TOKEN: HETZNER_EMULATOR_TOKEN },
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
