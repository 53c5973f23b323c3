import {
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackUrl, openTarget } from '../src/target.js';
import {
  ACCOUNT_SECRET_KEY,
  ACCOUNT_TOKEN,
  cli,
  exportedEnv,
  parseJson,
  type RunningCli,
  startCli,
} from './cli-harness.js';

interface VMJson {
  id: string;
  name: string;
}

let sandbox: RunningCli | undefined;
afterEach(async () => {
  sandbox?.interrupt();
  await sandbox?.done;
  sandbox = undefined;
});

/** Start `sam-provider sandbox` in-process on a free port; resolves the variables it prints. */
async function startSandbox(...flags: string[]): Promise<Record<string, string>> {
  sandbox = startCli(['sandbox', '--port', '0', '--speed', '0', ...flags]);
  return exportedEnv(await sandbox.stdoutMatching(/^export HCLOUD_TOKEN=/m));
}

describe('sam-provider sandbox', () => {
  it('prints the export lines for both clouds, on 127.0.0.1, with the published credentials', async () => {
    const env = await startSandbox();

    expect(Object.keys(env)).toEqual([
      'SCW_API_URL',
      'SCW_SECRET_KEY',
      'SCW_DEFAULT_PROJECT_ID',
      'HCLOUD_ENDPOINT',
      'HCLOUD_TOKEN',
    ]);
    expect(env.SCW_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.HCLOUD_ENDPOINT).toBe(`${env.SCW_API_URL}/v1`);
    expect(env).toMatchObject({
      SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
      SCW_DEFAULT_PROJECT_ID: SCALEWAY_EMULATOR_PROJECT_ID,
      HCLOUD_TOKEN: HETZNER_EMULATOR_TOKEN,
    });
  });

  it('keeps state across separate commands, which neither price nor ask', async () => {
    const env = await startSandbox();

    // No --yes and no terminal: a command that asked would refuse with exit code 2.
    const created = await cli(
      ['create', '--name', 'agent-1', '--size', 'small', '--location', 'fr-par-1', '--json'],
      {
        env,
      },
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(
      /^Using the Scaleway sandbox on http:\/\/127\.0\.0\.1:\d+: an emulator, not a real account/m,
    );
    for (const text of ['€', '/hour', '[y/N]', 'Target:', 'refusing'])
      expect(created.stderr).not.toContain(text);
    const vm = parseJson(created) as VMJson;

    const listed = await cli(['list', '--json'], { env });
    expect(listed.code).toBe(0);
    expect((parseJson(listed) as VMJson[]).map((item) => [item.id, item.name])).toEqual([[vm.id, 'agent-1']]);

    const hetzner = await cli(
      [
        '--provider',
        'hetzner',
        'create',
        '--name',
        'agent-2',
        '--size',
        'small',
        '--location',
        'fsn1',
        '--json',
      ],
      { env },
    );
    expect(hetzner.code).toBe(0);
    const hetznerList = await cli(['--provider', 'hetzner', 'list', '--json'], { env });
    expect((parseJson(hetznerList) as VMJson[]).map((item) => item.name)).toEqual(['agent-2']);

    const deleted = await cli(['delete', vm.id, '--wait'], { env });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`✓ deleted ${vm.id}\n`);
    expect(parseJson(await cli(['list', '--json'], { env }))).toEqual([]);

    const validated = await cli(['validate', '--json'], { env });
    expect(parseJson(validated)).toEqual({ valid: true, provider: 'scaleway', target: 'sandbox' });
  });

  it('the demo --live on it runs without a plan, a price or a question', async () => {
    const env = await startSandbox();

    const result = await cli(['demo', '--live', '--json'], { env });

    expect(result.code).toBe(0);
    expect(parseJson(result)).toMatchObject({ target: 'sandbox', passed: true });
    expect(result.stderr).not.toContain('€');
    expect(result.stderr).not.toContain('Go ahead?');
  });

  it('stops on Ctrl-C with exit code 0, and commands then say it is not running', async () => {
    const env = await startSandbox();
    const running = sandbox as RunningCli;

    running.interrupt();
    const result = await running.done;

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✓ sandbox stopped');
    expect(result.stderr).not.toContain('interrupted');
    const after = await cli(['list'], { env });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(
      /^sam-provider: network: .*\(is `sam-provider sandbox` still running there\?\)$/m,
    );
  });

  it('--json prints one document with the URL, the credentials and the variables', async () => {
    sandbox = startCli(['sandbox', '--port', '0', '--json']);
    const document = JSON.parse(await sandbox.stdoutMatching(/^\}$/m)) as {
      url: string;
      scaleway: { apiUrl: string; secretKey: string; projectId: string };
      hetzner: { apiUrl: string; token: string };
      env: Record<string, string>;
    };

    expect(document.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(document.scaleway).toEqual({
      apiUrl: document.url,
      secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
      projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    });
    expect(document.hetzner).toEqual({ apiUrl: `${document.url}/v1`, token: HETZNER_EMULATOR_TOKEN });
    expect(document.env.SCW_API_URL).toBe(document.url);
  });

  it('listens on the --port given', async () => {
    const probe = await startEmulatorServer(new HetznerEmulator());
    const { port } = probe;
    await probe.close();

    const env = await startSandbox('--port', String(port), '--host', 'localhost');

    expect(env.SCW_API_URL).toBe(`http://127.0.0.1:${port}`);
  });

  it('a --port in use exits 1 saying so', async () => {
    const taken = await startEmulatorServer(new HetznerEmulator());
    try {
      const result = await cli(['sandbox', '--port', String(taken.port)]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${taken.port} on 127.0.0.1 is in use: choose another --port`);
      expect(result.stdout).toBe('');
    } finally {
      await taken.close();
    }
  });

  it.each([
    [
      ['--host', '0.0.0.0'],
      "option '--host <address>' argument '0.0.0.0' is invalid. Expected a loopback address",
    ],
    [['--host', '192.168.1.5'], 'Expected a loopback address (127.0.0.1 or localhost)'],
    [['--port', '70000'], 'Expected a port from 0 to 65535.'],
    [['--port', 'http'], 'Expected a port from 0 to 65535.'],
    [['--speed', '-1'], 'Expected 0 (instant) or a number above 0'],
  ])('%j exits 2: %s', async (flags, message) => {
    const result = await cli(['sandbox', ...flags]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});

describe('what counts as a sandbox', () => {
  it.each([
    ['http://127.0.0.1:8080', true],
    ['http://127.1.2.3', true],
    ['http://localhost:1234/v1', true],
    ['http://[::1]:9', true],
    ['https://api.scaleway.com', false],
    ['http://127.0.0.1.example.test', false],
    ['http://10.0.0.1', false],
    ['not a url', false],
  ])('%s is on loopback: %s', (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });

  const published = {
    SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
    SCW_DEFAULT_PROJECT_ID: SCALEWAY_EMULATOR_PROJECT_ID,
  };
  it.each([
    ['the published credentials on loopback', 'scaleway', published, 'http://localhost:4780', 'sandbox'],
    [
      'the published token on loopback',
      'hetzner',
      { HCLOUD_TOKEN: HETZNER_EMULATOR_TOKEN },
      'http://[::1]:1/v1',
      'sandbox',
    ],
    [
      'the published credentials elsewhere',
      'scaleway',
      published,
      'https://api.scaleway.example.test',
      'account',
    ],
    [
      'other credentials on loopback (a real account behind a local proxy)',
      'scaleway',
      { ...published, SCW_SECRET_KEY: ACCOUNT_SECRET_KEY },
      'http://127.0.0.1:4780',
      'account',
    ],
    [
      'another token on loopback',
      'hetzner',
      { HCLOUD_TOKEN: ACCOUNT_TOKEN },
      'http://127.0.0.1:4780/v1',
      'account',
    ],
  ] as const)('%s: %s', async (_, provider, env, apiUrl, kind) => {
    // Opening a target sends nothing.
    const target = await openTarget({ connection: { provider, apiUrl }, env, use: 'auto' });

    expect(target.kind).toBe(kind);
    await target.close();
  });
});
