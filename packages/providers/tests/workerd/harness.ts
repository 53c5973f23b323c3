/**
 * Runs `worker.ts` inside Cloudflare's `workerd` runtime (the `workerd` npm package, no wrangler or miniflare):
 * bundles it with esbuild for the Workers platform, writes a generated Cap'n Proto config into a temp dir, starts
 * `workerd serve` on 127.0.0.1, and serves the Scaleway and Hetzner emulators on loopback for it to call.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  type EmulatorServer,
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { build, type Plugin } from 'esbuild';
import type { WorkerEnv } from './worker.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));

/** The workerd binary: the path the `workerd` package exports (its platform package's `bin/workerd`). */
export function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  const binary: unknown = require('workerd').default;
  if (typeof binary !== 'string' || !existsSync(binary)) {
    throw new Error(`the workerd package exports no usable binary (got ${String(binary)}); run pnpm install`);
  }
  return binary;
}

/** Refuses every Node builtin (`node:crypto`, `buffer`, …): the bundle must run without `nodejs_compat`. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, (args) =>
      isBuiltin(args.path)
        ? {
            errors: [
              {
                text: `Node builtin "${args.path}" imported by ${args.importer}: the Workers runtime has none without nodejs_compat`,
              },
            ],
          }
        : undefined,
    );
  },
};

export interface WorkerBundle {
  code: string;
  /** The source files bundled, relative to `packages/`. */
  inputs: string[];
}

/** Bundle worker.ts as an ES module for the Workers platform; throws on any error (a Node builtin among them). */
export async function bundleWorker(entry: string = WORKER_ENTRY): Promise<WorkerBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // As wrangler does: class names survive bundling, so `error.constructor.name` is `ProviderError`.
    keepNames: true,
    mainFields: ['browser', 'module', 'main'],
    conditions: ['worker', 'browser'],
    // Workspace packages resolve to their sources, as in vitest.workspace.ts (their exports point at dist/).
    alias: { '@simple-agent-manager/shared': join(PACKAGES, 'shared/src/index.ts') },
    plugins: [noNodeBuiltins],
    absWorkingDir: PACKAGES,
    metafile: true,
    logLevel: 'silent',
  }).catch((error: unknown) => {
    const errors = (
      error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }
    ).errors;
    if (errors === undefined) throw error;
    const lines = errors.map(
      (entry) => `${entry.location ? `${entry.location.file}:${entry.location.line}: ` : ''}${entry.text}`,
    );
    throw new Error(`bundling the Worker failed:\n${lines.join('\n')}`);
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  return {
    code: output.text,
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A Cap'n Proto text literal; the bindings are URLs and keys, so anything unusual is refused, not escaped. */
function capnpText(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value) || /["\\]/.test(value)) {
    throw new Error(`binding value ${JSON.stringify(value)} cannot be written as a plain capnp string`);
  }
  return `"${value}"`;
}

/**
 * The generated config: the `main` worker (the bundle embedded, text bindings, every fetch through a network
 * service that reaches loopback addresses only: `local` is 127.0.0.0/8 and ::1, so nothing can leave the machine)
 * and one HTTP socket on 127.0.0.1; port 0, the bound port is reported on the control fd.
 */
export function workerdConfig(options: {
  nodejsCompat: boolean;
  bindings: Readonly<Record<string, string>>;
}) {
  const bindings = Object.entries(options.bindings)
    .map(([name, value]) => `    (name = ${capnpText(name)}, text = ${capnpText(value)}),`)
    .join('\n');
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:0", http = (), service = "main"),
  ],
);

const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
  ],
  compatibilityDate = "2026-01-01",
  compatibilityFlags = [${options.nodejsCompat ? '"nodejs_compat"' : ''}],
  bindings = [
${bindings}
  ],
  globalOutbound = "loopback",
);
`;
}

/** A running workerd process serving the Worker. */
export interface WorkerdInstance {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Call a route of the Worker; JSON in the answer, whatever the status. */
  call<T>(method: 'GET' | 'POST', path: string, timeoutMs?: number): Promise<{ status: number; body: T }>;
  /** Everything workerd wrote to stdout and stderr so far. */
  output(): string;
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start `workerd serve` on the bundle; resolves once the Worker answers `GET /health`. */
export async function startWorkerd(options: {
  script: string;
  nodejsCompat: boolean;
  bindings: WorkerEnv;
  startTimeoutMs?: number;
}): Promise<WorkerdInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'sam-workerd-'));
  const configPath = join(dir, 'config.capnp');
  await writeFile(join(dir, 'worker.js'), options.script);
  await writeFile(
    configPath,
    workerdConfig({ nodejsCompat: options.nodejsCompat, bindings: { ...options.bindings } }),
  );

  // No --experimental: nothing in the config needs it.
  const child = spawn(workerdBinary(), ['serve', configPath, '--control-fd=3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const port = await new Promise<number>((resolve, reject) => {
      const control = child.stdio[3] as Readable;
      let buffered = '';
      control.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const match = /"event":"listen","socket":"http","port":(\d+)/.exec(buffered);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      timer = setTimeout(
        () => reject(new Error(`workerd did not listen within the time allowed:\n${output}`)),
        options.startTimeoutMs ?? 15_000,
      );
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`workerd exited before listening (${signal ?? code}):\n${output}`)),
      );
    }).finally(() => clearTimeout(timer));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
    for (;;) {
      const answer = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status,
        () => 0,
      );
      if (answer === 200) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the Worker did not answer /health (last status ${answer}):\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      url,
      output: () => output,
      close,
      call: async <T>(method: 'GET' | 'POST', path: string, timeoutMs = 20_000) => {
        const response = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        try {
          return { status: response.status, body: JSON.parse(text) as T };
        } catch {
          throw new Error(
            `${method} ${path}: ${response.status}, not JSON: ${text.slice(0, 500)}\n${output}`,
          );
        }
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Both emulators on one loopback server, with transitions a few times faster than reality. */
export interface Emulators {
  readonly scaleway: ScalewayEmulator;
  readonly hetzner: HetznerEmulator;
  readonly server: EmulatorServer;
  /** The Worker's bindings: the emulators' URLs and credentials, and a refused port. */
  readonly bindings: WorkerEnv;
  close(): Promise<void>;
}

export async function startEmulators(options: { speed?: number } = {}): Promise<Emulators> {
  const clock = { mode: 'realtime', speed: options.speed ?? 20 } as const;
  const scaleway = new ScalewayEmulator({ clock });
  const hetzner = new HetznerEmulator({ clock });
  const server = await startEmulatorServer([scaleway, hetzner]);
  const bindings: WorkerEnv = {
    SCALEWAY_API_URL: server.url,
    SCALEWAY_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
    SCALEWAY_PROJECT_ID: SCALEWAY_EMULATOR_PROJECT_ID,
    HETZNER_API_URL: `${server.url}/v1`,
    HETZNER_TOKEN: HETZNER_EMULATOR_TOKEN,
    CLOSED_URL: `http://127.0.0.1:${await closedPort()}`,
  };
  return { scaleway, hetzner, server, bindings, close: () => server.close() };
}
