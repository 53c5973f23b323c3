import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCH_USAGE, benchResultsDirectory, parseBenchArgs } from '../../bench/options.js';

const BENCH_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));

describe('parseBenchArgs', () => {
  it.each([
    { args: [], expected: { latencyMs: 20, write: false } },
    { args: ['--write'], expected: { latencyMs: 20, write: true } },
    { args: ['--latency', '5'], expected: { latencyMs: 5, write: false } },
    { args: ['--latency=0', '--write'], expected: { latencyMs: 0, write: true } },
    // `pnpm bench -- --write`: pnpm 12 hands the `--` on to the script.
    { args: ['--', '--write'], expected: { latencyMs: 20, write: true } },
    { args: ['--', '--latency', '7.5', '--write'], expected: { latencyMs: 7.5, write: true } },
  ])('$args → $expected', ({ args, expected }) => {
    expect(parseBenchArgs(args)).toEqual(expected);
  });

  it.each([
    ['--bogus'],
    ['results'],
    ['--latency'],
    ['--latency', '-1'],
    ['--latency', 'fast'],
    ['--latency', ''],
    ['--write=yes'],
    ['--', '--', '--write'],
  ])('refuses %j with the usage', (...args) => {
    expect(() => parseBenchArgs(args)).toThrow(BENCH_USAGE);
  });
});

describe('benchResultsDirectory', () => {
  it('is the tracked bench/ directory only with --write', () => {
    expect(benchResultsDirectory({ write: true })).toBe(BENCH_DIR);
  });

  it('is a directory under the temporary one otherwise', () => {
    expect(benchResultsDirectory({ write: false }, '/tmp/x')).toBe(join('/tmp/x', 'sam-providers-bench'));
  });

  it('is where run.ts writes both results files', () => {
    const run = readFileSync(join(BENCH_DIR, 'run.ts'), 'utf8');
    const writes = [...run.matchAll(/writeFileSync\(\s*(join\([^)]*\)|[^,]+),/g)].map((match) => match[1]);
    expect(writes).toEqual([
      "join(resultsDirectory, 'results.json')",
      "join(resultsDirectory, 'results.md')",
    ]);
    expect(run).toContain('const resultsDirectory = benchResultsDirectory(options);');
  });
});
