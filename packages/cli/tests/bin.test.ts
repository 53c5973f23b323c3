import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, exportedEnv, parseJson } from './cli-harness.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixturesDir = fileURLToPath(new URL('./fixtures', import.meta.url));

/**
 * The process's environment without any cloud credential or endpoint, so the child can only use its embedded
 * emulator on 127.0.0.1, and without colour settings, so its output is plain off a terminal. The in-process tests'
 * fetch guard does not reach a child: the tests that send requests run it with `--verbose` and check that every
 * request it logged went to 127.0.0.1.
 */
function isolatedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('SCW_') &&
        !name.startsWith('HCLOUD_') &&
        name !== 'NO_COLOR' &&
        name !== 'FORCE_COLOR',
    ),
  );
}

interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a process with the isolated environment; `onOutput` sees everything written to stdout and stderr so far. */
function runProcess(
  command: string,
  args: readonly string[],
  cwd: string,
  onOutput?: (output: { stdout: string; stderr: string }, child: ChildProcess) => void,
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput?.({ stdout, stderr }, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onOutput?.({ stdout, stderr }, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Run `sam-provider args…` as a process; `onStderr` sees everything written to stderr so far. */
function runBin(
  args: readonly string[],
  onStderr?: (text: string, child: ChildProcess) => void,
): Promise<BinResult> {
  return runProcess(
    process.execPath,
    ['--import', 'tsx', 'src/bin.ts', ...args],
    packageDir,
    (output, child) => onStderr?.(output.stderr, child),
  );
}

/** The URLs of the requests a `--verbose` run logged. */
function requestedUrls(stderr: string): string[] {
  return [...stderr.matchAll(/^http > [A-Z]+ (\S+)/gm)].map((match) => match[1] as string);
}

describe('the sam-provider executable', () => {
  it('runs the demo as a process and exits 0 with the table on stdout and no colours off a terminal', async () => {
    const result = await runBin(['demo', '--speed', '50', '--verbose']);

    expect(result.stderr).not.toContain('✗');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^operation\s+VMs\s+HTTP requests\s+time$/m);
    expect(result.stdout).toContain('PASS');
    expect(result.stdout + result.stderr).not.toContain('\u001b[');
    const urls = requestedUrls(result.stderr);
    expect(urls.length).toBeGreaterThan(20);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('sets exit code 2 for a usage error', async () => {
    const result = await runBin(['list', '--bogus']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('on Ctrl-C after the create step deletes the demo VMs, then exits 130', async () => {
    let sent = false;
    const result = await runBin(['demo', '--speed', '10', '--verbose'], (stderr, child) => {
      if (!sent && /✓ create/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });

    expect(result.signal).toBeNull();
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('sam-provider: interrupted by SIGINT');
    expect(result.stderr).toContain('✓ cleaned up 3 demo VMs');
    expect(result.stdout).toContain('INTERRUPTED');
    for (const url of requestedUrls(result.stderr)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('on a second Ctrl-C exits 130 at once, without waiting for the cleanup', async () => {
    let sent = false;
    const result = await runBin(['demo', '--speed', '0.5'], (stderr, child) => {
      if (!sent && /✓ create/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGINT'), 50);
      }
    });

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: deleting the VMs the demo created');
    expect(result.stderr).not.toContain('cleaned up');
    expect(result.stdout).toBe('');
  });

  it('sandbox serves until SIGINT, then exits 0; commands in between share its state', async () => {
    let exports: (env: Record<string, string>) => void = () => {};
    const sandboxEnv = new Promise<Record<string, string>>((resolve) => {
      exports = resolve;
    });
    let sent = false;
    let child: ChildProcess | undefined;
    const exited = runProcess(
      process.execPath,
      ['--import', 'tsx', 'src/bin.ts', 'sandbox', '--port', '0', '--speed', '0'],
      packageDir,
      (output, running) => {
        child = running;
        if (!sent && /^export HCLOUD_TOKEN=/m.test(output.stdout)) {
          sent = true;
          exports(exportedEnv(output.stdout));
        }
      },
    );
    const env = await sandboxEnv;
    expect(env.SCW_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const created = await cli(['create', '--name', 'agent-1', '--size', 'small', '--location', 'nl-ams-1'], {
      env,
    });
    expect(created.code).toBe(0);
    expect(created.stderr).not.toContain('€');
    const listed = await cli(['list', '--json'], { env });
    expect((parseJson(listed) as { name: string }[]).map((vm) => vm.name)).toEqual(['agent-1']);

    child?.kill('SIGINT');
    const result = await exited;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✓ sandbox stopped');
  });
});

describe("the repository's `pnpm sam-provider` script", () => {
  it('passes exit code 2 through from the repository root', async () => {
    const result = await runProcess('pnpm', ['--silent', 'sam-provider', 'delete', 'bad-id'], repositoryRoot);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: invalid VM id "bad-id" \(argument <id\.\.\.>\)/m);
    expect(result.stdout).toBe('');
  });

  it('resolves relative paths against the directory pnpm was run in, and exits 0 on success', async () => {
    // Run from a directory below packages/cli: pnpm runs the script in packages/cli, where ./user-data.yaml is not.
    const result = await runProcess(
      'pnpm',
      [
        '--silent',
        'sam-provider',
        'create',
        '--name',
        'agent-1',
        '--size',
        'small',
        '--location',
        'fr-par-1',
      ].concat(['--user-data', './user-data.yaml', '--json', '--verbose']),
      fixturesDir,
    );

    expect(result.stderr).not.toContain('cannot read the --user-data file');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'agent-1', location: 'fr-par-1' });
    expect(result.stderr).toMatch(/^http PATCH .*\/user_data\/cloud-init 204 /m);
    const urls = requestedUrls(result.stderr);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });
});
