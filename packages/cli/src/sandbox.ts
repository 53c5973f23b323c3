import {
  type ClockMode,
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { InvalidArgumentError } from 'commander';
import type { CommandContext } from './commands.js';
import { EXIT_OK } from './exit-codes.js';

/** The options of `sandbox`. */
export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The address to listen on, as given: a loopback name (see {@link parseHost}). */
  host: string;
  /** The emulators' clock: 1 is realistic, 0 instant. */
  speed: number;
}

/** `--port`: 0 (a free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('Expected a port from 0 to 65535.');
  return port;
}

/**
 * The addresses `--host` accepts. The sandbox takes the emulators' published credentials from anyone who can reach
 * it, so it listens on loopback only; the emulator server binds 127.0.0.1, which `localhost` names too.
 */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

export function parseHost(value: string): string {
  if (!LOOPBACK_HOSTS.includes(value)) {
    throw new InvalidArgumentError(
      `Expected a loopback address (${LOOPBACK_HOSTS.join(' or ')}): the sandbox accepts its published credentials from anyone who reaches it.`,
    );
  }
  return value;
}

/** `--speed`: 0 (instant transitions) or a factor above 0 (1 = realistic delays). */
export function parseSandboxSpeed(value: string): number {
  const speed = Number(value);
  if (value.trim() === '' || !Number.isFinite(speed) || speed < 0 || speed > 10_000) {
    throw new InvalidArgumentError('Expected 0 (instant) or a number above 0 (1 = realistic delays).');
  }
  return speed;
}

/** The variables that point `sam-provider` (and the clouds' own tools) at a sandbox on `url`. */
export function sandboxEnvironment(url: string): Record<string, string> {
  return {
    SCW_API_URL: url,
    SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
    SCW_DEFAULT_PROJECT_ID: SCALEWAY_EMULATOR_PROJECT_ID,
    HCLOUD_ENDPOINT: `${url}/v1`,
    HCLOUD_TOKEN: HETZNER_EMULATOR_TOKEN,
  };
}

/**
 * Serve the Scaleway and Hetzner Cloud emulators on 127.0.0.1 until the command is interrupted (Ctrl-C, SIGTERM),
 * which is how it ends: exit code 0. The `export` lines on stdout point later commands at it; they then share its
 * state, and are neither priced nor confirmed (see `isSandbox`). The credentials printed are the emulators'
 * published ones, not secrets.
 */
export async function sandboxCommand(context: CommandContext, options: SandboxOptions): Promise<number> {
  const { output } = context;
  const { signal } = context.requestOptions;
  const clock: ClockMode =
    options.speed === 0 ? { mode: 'instant' } : { mode: 'realtime', speed: options.speed };
  const emulators = [new HetznerEmulator({ clock }), new ScalewayEmulator({ clock })];
  let server: Awaited<ReturnType<typeof startEmulatorServer>>;
  try {
    server = await startEmulatorServer(emulators, { port: options.port });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port} on 127.0.0.1 is in use: choose another --port (0 picks a free one)`,
      );
    }
    throw error;
  }
  try {
    const environment = sandboxEnvironment(server.url);
    output.result(
      {
        url: server.url,
        scaleway: {
          apiUrl: environment.SCW_API_URL,
          secretKey: environment.SCW_SECRET_KEY,
          projectId: environment.SCW_DEFAULT_PROJECT_ID,
        },
        hetzner: { apiUrl: environment.HCLOUD_ENDPOINT, token: environment.HCLOUD_TOKEN },
        env: environment,
      },
      () =>
        Object.entries(environment)
          .map(([name, value]) => `export ${name}=${value}`)
          .join('\n'),
    );
    const speed = options.speed === 0 ? 'instant transitions' : `clock speed ${options.speed}`;
    output.info(
      [
        `${output.stderrColors.green('✓')} sandbox: the Scaleway and Hetzner Cloud emulators on ${server.url} (${speed})`,
        '  Run the export lines above in another shell: sam-provider commands there act on the sandbox and share its',
        '  state (no prices, nothing asked; add --provider hetzner for Hetzner). Ctrl-C stops it and discards that state.',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      if (signal === undefined) return;
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    for (const emulator of emulators) emulator.clock.clear();
    await server.close();
  }
  output.info(`${output.stderrColors.green('✓')} sandbox stopped; what it held is gone`);
  return EXIT_OK;
}
