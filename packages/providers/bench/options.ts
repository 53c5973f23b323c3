import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Delay the emulator adds to every request, in ms. Default 20. */
  latencyMs: number;
  /** Write the tracked `bench/results.{md,json}`; without it they go to a temporary directory. */
  write: boolean;
}

export const BENCH_USAGE = 'usage: pnpm bench [--latency MS] [--write]';

/**
 * The benchmark's command line. pnpm 12 passes a `--` typed before the options (`pnpm bench -- --write`) on to the
 * script, so a leading `--` is dropped. Throws with the usage on anything else it does not know.
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const options = args[0] === '--' ? args.slice(1) : [...args];
  let values: { latency: string; write: boolean };
  try {
    ({ values } = parseArgs({
      args: options,
      options: { latency: { type: 'string', default: '20' }, write: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${BENCH_USAGE}`);
  }
  const latencyMs = Number(values.latency);
  if (values.latency.trim() === '' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new Error(`--latency must be a number of ms >= 0, got "${values.latency}"\n${BENCH_USAGE}`);
  }
  return { latencyMs, write: values.write };
}

/**
 * Where the results go: beside this file (tracked) with `--write`, else a fixed directory under the OS's temporary
 * directory, so that a run leaves the checkout as it was.
 */
export function benchResultsDirectory(options: Pick<BenchOptions, 'write'>, temporary = tmpdir()): string {
  return options.write
    ? fileURLToPath(new URL('.', import.meta.url))
    : join(temporary, 'sam-providers-bench');
}
