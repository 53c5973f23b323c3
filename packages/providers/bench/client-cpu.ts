/**
 * Client CPU per operation, Node vs workerd. The same operations (`client-cpu-ops.ts`) run `n` times in a row
 * against the Scaleway emulator (in a process of its own, no added latency) inside
 * - Node: a fresh child process per operation (`client-cpu-node.ts`), `process.cpuUsage()` around the `n`
 *   iterations, divided by `n`; once as shipped and once with `z.config({ jitless: true })`;
 * - workerd: a fresh `workerd serve` per operation running a Worker bundled as the workerd test tier bundles one
 *   (`client-cpu-worker.ts`), whose `POST /run` runs the `n` iterations. Code inside workerd cannot time itself (its
 *   clocks stand still while code runs), so the process's CPU time is read from outside, before and after the
 *   request: the sum over its threads of `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on CPU), cross-checked
 *   with `/proc/<pid>/stat` (utime + stime, in clock ticks). From it are taken the same request running a no-op `n`
 *   times (same body: HTTP, JSON and the loop) and the process's idle CPU over the remaining wall time.
 * Skipped, with the reason, when the workerd binary or `/proc` is not there.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  type ScalewayZone,
} from '@simple-agent-manager/cloud-emulator';
import { SCALEWAY_ZONE_IDS } from '../src/index.js';
import { bundleWorker, workerdBinary, workerdConfig } from '../tests/workerd/harness.js';
import type { ClientCpuAnswer, ClientCpuInput, ClientCpuOperation } from './client-cpu-ops.js';
import type { EmulatorProcess } from './emulator-client.js';

const WORKER_ENTRY = fileURLToPath(new URL('./client-cpu-worker.ts', import.meta.url));

/** One call of a runtime: CPU time of the `n` iterations (ns), and wall time (ms) for reference. */
export interface Timed {
  cpuNs: number;
  wallMs: number;
  /** Iterations the reading covers. */
  iterations: number;
  /** workerd only: what was taken away (no-op request + idle), and the `/proc/<pid>/stat` reading in ticks. */
  baselineNs?: number;
  statTicks?: number;
}

export interface Runtime {
  run(input: ClientCpuInput): Promise<Timed>;
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startNode(options: { zodJitless: boolean }): Promise<Runtime> {
  const child = fork(
    new URL('./client-cpu-node.ts', import.meta.url),
    options.zodJitless ? ['--zod-jitless'] : [],
    { execArgv: ['--import', 'tsx'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the Node client exited (${code}) before it was ready`)));
  });
  let next = 0;
  return {
    run: (input) => {
      const id = next++;
      return new Promise((resolve, reject) => {
        const onMessage = (reply: { id: number; cpuUs?: number; wallMs?: number; error?: string }) => {
          if (reply.id !== id) return;
          child.off('message', onMessage);
          if (reply.error !== undefined) reject(new Error(`Node ${input.operation}: ${reply.error}`));
          else resolve({ cpuNs: (reply.cpuUs ?? 0) * 1000, wallMs: reply.wallMs ?? 0, iterations: input.n });
        };
        child.on('message', onMessage);
        child.send({ id, input });
      });
    },
    close: async () => {
      child.disconnect();
      await exited(child);
    },
  };
}

let clockTicks: number | undefined;
/** `getconf CLK_TCK`: the unit of utime and stime in `/proc/<pid>/stat` (100 almost everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of every thread, dead ones included, in clock ticks. */
function statTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from field 3 on: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** `BENCH_CPU_FROM_STAT=1`: ignore schedstat, as on a kernel without it (to try the tick-based path). */
const STAT_ONLY = process.env.BENCH_CPU_FROM_STAT === '1';
/** Below this many ticks, a tick-based reading is repeated (one tick is 10 ms at 100 ticks/s). */
const MIN_TICKS = 200;

/** Nanoseconds on CPU, summed over the live threads (`schedstat`'s first field); `undefined` without schedstat. */
function schedstatNs(pid: number): number | undefined {
  if (STAT_ONLY) return undefined;
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return undefined;
    }
  }
  return total;
}

/** The workerd process's CPU time in ns: schedstat when the kernel has it, else stat's ticks. */
function processCpu(pid: number): { ns: number; ticks: number } {
  const ticks = statTicks(pid);
  return { ns: schedstatNs(pid) ?? (ticks * 1e9) / ticksPerSecond(), ticks };
}

/** Why workerd cannot be measured here, or `undefined` when it can. */
export function workerdUnavailable(): string | undefined {
  if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) {
    return `reading another process's CPU time needs Linux's /proc (this is ${process.platform})`;
  }
  try {
    workerdBinary();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return undefined;
}

export async function startWorkerdRuntime(script: string): Promise<Runtime> {
  const dir = await mkdtemp(join(tmpdir(), 'sam-bench-workerd-'));
  const configPath = join(dir, 'config.capnp');
  await writeFile(join(dir, 'worker.js'), script);
  await writeFile(configPath, workerdConfig({ nodejsCompat: false, bindings: {} }));
  const child = spawn(workerdBinary(), ['serve', configPath, '--control-fd=3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-10_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
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
      let buffered = '';
      (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const match = /"event":"listen","socket":"http","port":(\d+)/.exec(buffered);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      timer = setTimeout(() => reject(new Error(`workerd did not listen within 15 s:\n${output}`)), 15_000);
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`workerd exited before listening (${signal ?? code}):\n${output}`)),
      );
    }).finally(() => clearTimeout(timer));
    const pid = child.pid as number;
    const url = `http://127.0.0.1:${port}`;
    const post = async (input: ClientCpuInput): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${url}/run`, { method: 'POST', body: JSON.stringify(input) });
      const answer = (await response.json()) as ClientCpuAnswer & { error?: string };
      if (!response.ok || answer.error !== undefined) {
        throw new Error(`workerd ${input.operation}: ${response.status} ${answer.error ?? ''}\n${output}`);
      }
      return performance.now() - started;
    };
    /** CPU ns per ms the process burns with nothing to do (its own timers and threads). */
    const idleNsPerMs = async (ms: number) => {
      const before = processCpu(pid).ns;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return (processCpu(pid).ns - before) / ms;
    };
    // The socket listens once the config has loaded; the first answer proves the Worker runs.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = await fetch(`${url}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the Worker did not answer /health (last status ${status}):\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const idle = await idleNsPerMs(500);
    return {
      run: async (input) => {
        const noopBefore = processCpu(pid);
        const noopWallMs = await post({ ...input, operation: 'noop' });
        const noopNs = processCpu(pid).ns - noopBefore.ns;
        const before = processCpu(pid);
        const wallMs = await post(input);
        const after = processCpu(pid);
        const rawNs = after.ns - before.ns;
        const ticks = after.ticks - before.ticks;
        const ticksNs = (ticks * 1e9) / ticksPerSecond();
        // schedstat misses threads that ended during the request; stat counts them, to a tick.
        if (ticks >= 100 && Math.abs(rawNs - ticksNs) > 0.1 * ticksNs) {
          process.stderr.write(
            `warning: workerd ${input.operation}: schedstat says ${Math.round(rawNs / 1e6)} ms of CPU, stat ${Math.round(ticksNs / 1e6)} ms\n`,
          );
        }
        const baselineNs = noopNs + idle * Math.max(wallMs - noopWallMs, 0);
        return {
          cpuNs: rawNs - baselineNs,
          wallMs,
          iterations: input.n,
          baselineNs,
          statTicks: ticks,
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function inputBase(apiUrl: string, operation: ClientCpuOperation, n: number): ClientCpuInput {
  return {
    operation,
    n,
    apiUrl,
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
  };
}

/** One row: an operation, how many iterations, and the emulator state and input extras it needs for `n` runs. */
interface OperationSpec {
  label: string;
  operation: ClientCpuOperation;
  n: number;
  /** Called before the warm-up and before the timed run: seeds what `count` iterations consume. */
  prepare(emulator: EmulatorProcess, count: number, run: string): Promise<Partial<ClientCpuInput>>;
  /** Prepared once per operation (the emulator reset first), shared by every runtime. */
  setup?(emulator: EmulatorProcess): Promise<Partial<ClientCpuInput>>;
}

const pageSetup = async (emulator: EmulatorProcess): Promise<Partial<ClientCpuInput>> => {
  await emulator.seed(100, { zone: 'fr-par-1', commercialType: 'DEV1-M', tags: ['team=a', 'role=agent'] });
  const response = await fetch(`${emulator.apiUrl}/instance/v1/zones/fr-par-1/servers?per_page=100`, {
    headers: { 'X-Auth-Token': SCALEWAY_EMULATOR_SECRET_KEY },
  });
  return { pageText: await response.text() };
};
const nothing = async () => ({});
const oneServer = async (emulator: EmulatorProcess): Promise<Partial<ClientCpuInput>> => ({
  ids: await emulator.seed(1, { zone: 'fr-par-2', state: 'running', commercialType: 'DEV1-M' }),
});
const thousandServers = async (emulator: EmulatorProcess): Promise<Partial<ClientCpuInput>> => {
  for (const zone of SCALEWAY_ZONE_IDS) {
    await emulator.seed(1_000 / SCALEWAY_ZONE_IDS.length, {
      zone: zone as ScalewayZone,
      commercialType: 'PLAY2-NANO',
      tags: ['bench=yes'],
    });
  }
  return { expect: 1_000 };
};

export const CLIENT_CPU_SPECS: readonly OperationSpec[] = [
  {
    label: 'validate + map one 100-server list page',
    operation: 'page',
    n: 100,
    setup: pageSetup,
    prepare: nothing,
  },
  { label: '  JSON.parse only', operation: 'page:json', n: 100, setup: pageSetup, prepare: nothing },
  {
    label: '  zod schema only (parsed body)',
    operation: 'page:schema',
    n: 100,
    setup: pageSetup,
    prepare: nothing,
  },
  {
    label: '  mapper only (validated servers)',
    operation: 'page:map',
    n: 100,
    setup: pageSetup,
    prepare: nothing,
  },
  {
    label: 'getVM, zonal id',
    operation: 'getVM',
    n: 500,
    setup: oneServer,
    prepare: nothing,
  },
  {
    label: '  raw fetch of the same request (transport baseline)',
    operation: 'getVM:raw',
    n: 500,
    setup: oneServer,
    prepare: nothing,
  },
  {
    label: `listVMs, 1,000 servers over ${SCALEWAY_ZONE_IDS.length} zones`,
    operation: 'listVMs',
    n: 10,
    setup: thousandServers,
    prepare: nothing,
  },
  {
    label: '  raw fetch of the same pages (transport baseline)',
    operation: 'listVMs:raw',
    n: 10,
    setup: thousandServers,
    prepare: nothing,
  },
  {
    label: 'createVM, warm image cache',
    operation: 'createVM',
    n: 200,
    prepare: async (_emulator, _count, run) => ({ prefix: `cpu-${run}` }),
  },
  {
    label: 'deleteVM, running (l_ssd)',
    operation: 'deleteVM',
    n: 200,
    prepare: async (emulator, count) => ({
      ids: await emulator.seed(count, {
        zone: 'fr-par-1',
        state: 'running',
        commercialType: 'DEV1-M',
        volumeType: 'l_ssd',
      }),
    }),
  },
];

export interface ClientCpuRow {
  operation: string;
  iterations: number;
  nodeUsPerOp: number;
  nodeZodJitlessUsPerOp: number;
  /** `null` when workerd was skipped. */
  workerdUsPerOp: number | null;
  /** workerd / Node, of the µs/op above. */
  ratio: number | null;
  /** µs/op of every timed round. */
  samples: { node: number[]; nodeZodJitless: number[]; workerd?: number[] };
  /** workerd: CPU taken away as baseline (no-op request + idle), per op; the stat ticks of a timed round. */
  workerdBaselineUsPerOp?: number;
  workerdStatTicks?: number;
  /** workerd, read from ticks only: the iterations of a round, repeated until it spanned 200 ticks. */
  workerdIterations?: number;
}

export interface ClientCpuResult {
  /** Timed rounds per operation and runtime (the lowest counts). */
  rounds: number;
  /** `undefined` when workerd ran; otherwise why it was skipped. */
  workerdSkipped?: string;
  workerdCpuSource?: string;
  rows: ClientCpuRow[];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Timed rounds per operation and runtime, interleaved across runtimes so that a change of load hits them alike. */
export const CLIENT_CPU_ROUNDS = 5;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Runs every operation in every runtime: for each operation, a fresh Node child (as shipped), a fresh Node child
 * with zod jitless and a fresh workerd, each warmed up with one untimed round (the first round costs up to twice the next: JIT, heap growth), then `rounds` timed rounds
 * of `n` iterations, taking turns. The lowest round counts: other processes only ever add CPU time (cache and SMT
 * contention, lower clocks), never take it away, and on a loaded machine a round costs up to twice another. `log`
 * reports progress.
 */
export async function measureClientCpu(
  emulator: EmulatorProcess,
  log: (line: string) => void,
  options: { specs?: readonly OperationSpec[]; rounds?: number } = {},
): Promise<ClientCpuResult> {
  const specs = options.specs ?? CLIENT_CPU_SPECS;
  const rounds = options.rounds ?? CLIENT_CPU_ROUNDS;
  let skipped = workerdUnavailable();
  let script: string | undefined;
  if (skipped === undefined) {
    try {
      script = (await bundleWorker(WORKER_ENTRY)).code;
    } catch (error) {
      // Not a reason to skip: the library no longer bundles for Workers.
      throw new Error(`bundling the client CPU Worker failed: ${String(error)}`);
    }
    // A binary that cannot start here (another libc, a sandbox) is a reason to skip; a Worker that fails later is not.
    try {
      await (await startWorkerdRuntime(script)).close();
    } catch (error) {
      skipped = `workerd did not start: ${error instanceof Error ? error.message : String(error)}`;
      script = undefined;
    }
  }
  if (skipped !== undefined) log(`workerd skipped: ${skipped}`);
  /** Whether CPU time is read to the nanosecond (schedstat) rather than to the tick. */
  const precise = schedstatNs(process.pid) !== undefined;
  const rows: ClientCpuRow[] = [];
  let runs = 0;
  for (const spec of specs) {
    await emulator.reset();
    const shared = (await spec.setup?.(emulator)) ?? {};
    const input = async (n: number): Promise<ClientCpuInput> => ({
      ...inputBase(emulator.apiUrl, spec.operation, n),
      ...shared,
      ...(await spec.prepare(emulator, n, String(runs++))),
    });
    const runtimes: { name: 'node' | 'jitless' | 'workerd'; runtime: Runtime; samples: Timed[] }[] = [];
    try {
      runtimes.push({ name: 'node', runtime: await startNode({ zodJitless: false }), samples: [] });
      runtimes.push({ name: 'jitless', runtime: await startNode({ zodJitless: true }), samples: [] });
      if (script !== undefined) {
        runtimes.push({ name: 'workerd', runtime: await startWorkerdRuntime(script), samples: [] });
      }
      for (const { runtime } of runtimes) await runtime.run(await input(spec.n));
      for (let turn = 0; turn < rounds; turn++) {
        for (const entry of runtimes) {
          // From ticks alone, a round is repeated until it spans enough of them to read to a few percent.
          const repeat = entry.name === 'workerd' && !precise;
          const total: Required<Timed> = { cpuNs: 0, wallMs: 0, iterations: 0, baselineNs: 0, statTicks: 0 };
          do {
            const timed = await entry.runtime.run(await input(spec.n));
            total.cpuNs += timed.cpuNs;
            total.wallMs += timed.wallMs;
            total.iterations += timed.iterations;
            total.baselineNs += timed.baselineNs ?? 0;
            total.statTicks += timed.statTicks ?? 0;
          } while (repeat && total.statTicks < MIN_TICKS && total.iterations < spec.n * 50);
          entry.samples.push(total);
        }
      }
    } finally {
      await Promise.all(runtimes.map(({ runtime }) => runtime.close()));
    }
    const usPerOp = (name: string) => {
      const samples = runtimes.find((entry) => entry.name === name)?.samples;
      return samples === undefined
        ? null
        : Math.min(...samples.map((timed) => timed.cpuNs / timed.iterations / 1000));
    };
    const samplesOf = (name: string) =>
      runtimes
        .find((entry) => entry.name === name)
        ?.samples.map((timed) => timed.cpuNs / timed.iterations / 1000);
    const nodeSamples = samplesOf('node') as number[];
    const workerd = usPerOp('workerd');
    const row: ClientCpuRow = {
      operation: spec.label,
      iterations: spec.n,
      nodeUsPerOp: round(usPerOp('node') as number),
      nodeZodJitlessUsPerOp: round(usPerOp('jitless') as number),
      workerdUsPerOp: workerd === null ? null : round(workerd),
      ratio: workerd === null ? null : round(workerd / (usPerOp('node') as number), 2),
      samples: {
        node: nodeSamples.map((us) => round(us)),
        nodeZodJitless: (samplesOf('jitless') as number[]).map((us) => round(us)),
        ...(workerd === null ? {} : { workerd: (samplesOf('workerd') as number[]).map((us) => round(us)) }),
      },
    };
    const workerdSamples = runtimes.find((entry) => entry.name === 'workerd')?.samples;
    if (workerdSamples !== undefined) {
      row.workerdBaselineUsPerOp = round(
        median(workerdSamples.map((timed) => (timed.baselineNs ?? 0) / timed.iterations)) / 1000,
      );
      row.workerdStatTicks = median(workerdSamples.map((timed) => timed.statTicks ?? 0));
      const iterations = median(workerdSamples.map((timed) => timed.iterations));
      if (iterations !== spec.n) row.workerdIterations = iterations;
    }
    rows.push(row);
    log(
      `✓ client CPU: ${spec.label.trim()}: Node ${row.nodeUsPerOp} µs, zod jitless ${row.nodeZodJitlessUsPerOp} µs, workerd ${row.workerdUsPerOp === null ? 'skipped' : `${row.workerdUsPerOp} µs`}`,
    );
  }
  return {
    rounds,
    ...(skipped === undefined
      ? {
          workerdCpuSource: !precise
            ? `\`/proc/<pid>/stat\` (utime + stime, ${ticksPerSecond()} ticks/s)`
            : 'the sum over its threads of `/proc/<pid>/task/<tid>/schedstat` (ns on CPU), cross-checked with `/proc/<pid>/stat` (utime + stime)',
        }
      : { workerdSkipped: skipped }),
    rows,
  };
}

/** The section of results.md. */
export function clientCpuMarkdown(result: ClientCpuResult): string {
  const cell = (value: number | null) => (value === null ? 'skipped' : String(value));
  const table = [
    '| operation | iterations | Node µs/op | Node, zod jitless µs/op | workerd µs/op | ratio workerd / Node |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.rows.map(
      (row) =>
        `| ${row.operation} | ${row.iterations} | ${row.nodeUsPerOp} | ${row.nodeZodJitlessUsPerOp} | ${cell(row.workerdUsPerOp)} | ${cell(row.ratio)} |`,
    ),
  ];
  return table.join('\n');
}
