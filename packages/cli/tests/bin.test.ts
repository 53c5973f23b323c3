import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The process's environment without any cloud credential, so the child can only use its embedded emulator. */
function credentialFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SCW_') && !name.startsWith('HCLOUD_')),
  );
}

function runBin(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin.ts', ...args], {
      cwd: packageDir,
      env: credentialFreeEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the sam-provider executable', () => {
  it('runs the demo as a process and exits 0 with the table on stdout and no colours off a terminal', async () => {
    const result = await runBin(['demo', '--speed', '50']);

    expect(result.stderr).not.toContain('✗');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^operation\s+VMs\s+HTTP requests\s+time$/m);
    expect(result.stdout).toContain('PASS');
    expect(result.stdout + result.stderr).not.toContain('\u001b[');
  });

  it('sets exit code 2 for a usage error', async () => {
    const result = await runBin(['list', '--bogus']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });
});
