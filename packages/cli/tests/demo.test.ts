import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalogProvider } from '../src/target.js';
import { cli, lines, parseJson, type ScalewayAccount, startScalewayAccount } from './cli-harness.js';

type ProviderName = 'scaleway' | 'hetzner';

/** Hetzner's volumes may not be driven by this version of the provider yet: the demo then skips its volume steps. */
const volumesSupported = (provider: ProviderName) => catalogProvider(provider).volumeCapabilities.supported;

/** The demo's steps, with the VMs each is about. */
function operations(provider: ProviderName): [operation: string, vms: number][] {
  const volumes = volumesSupported(provider);
  return [
    ['validate credentials', 0],
    ['create', 3],
    ['wait until running', 3],
    ...(volumes
      ? ([
          ['create volume', 0],
          ['attach volume', 1],
        ] as [string, number][])
      : []),
    ['list by label', 3],
    ['power off + wait', 1],
    ['power on + wait', 1],
    ['delete + wait', 3],
    ...(volumes
      ? ([
          ['volume kept after VM delete', 0],
          ['delete volume', 0],
        ] as [string, number][])
      : []),
    ['leftover check', 0],
  ];
}

const OPERATIONS = operations('scaleway').map(([operation]) => operation);
const VOLUME_STEPS = ['create volume', 'attach volume', 'volume kept after VM delete', 'delete volume'];

interface DemoJson {
  provider: string;
  target: string;
  passed: boolean;
  steps: { operation: string; vms: number; requests: number; ms: number; ok: boolean }[];
  totalRequests: number;
  leftovers: { servers: number; volumes: number; ips: number } | null;
}

describe('sam-provider demo on the embedded emulator', () => {
  it.each(['scaleway', 'hetzner'] as const)(
    'runs the whole %s lifecycle, prints the table and leaves nothing',
    async (provider) => {
      const result = await cli(['demo', '--provider', provider, '--speed', '50']);

      expect(result.stderr).not.toContain('✗');
      expect(result.code).toBe(0);
      const table = lines(result.stdout);
      expect(table[0]).toMatch(/^operation\s+VMs\s+HTTP requests\s+time$/);
      const expected = operations(provider);
      for (const [index, [operation, vms]] of expected.entries()) {
        expect(table[index + 1]).toMatch(
          new RegExp(`^${operation.replace('+', '\\+')}\\s+${vms}\\s+\\d+\\s+\\d+\\.\\d\\d s$`),
        );
      }
      expect(table[expected.length + 1]).toMatch(/^total\s+\d+\s+\d+\.\d\d s$/);
      expect(result.stdout).toContain('PASS: every step passed; leftovers: 0 servers, 0 volumes, 0 IPs');
    },
  );

  it('shows each VM passing through the provider states on stderr', async () => {
    const result = await cli(['demo', '--speed', '20']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the embedded Scaleway emulator on http://127.0.0.1:');
    expect(result.stderr).toMatch(/sam-demo-\w+-1 {2}fr-par-1 {2}starting: (allocating|provisioning) node/);
    expect(result.stderr).toMatch(
      /sam-demo-\w+-3 {2}nl-ams-1 {2}running: (booting kernel|booted) {2}\d+\.\d+\.\d+\.\d+/,
    );
    expect(result.stderr).toMatch(/sam-demo-\w+-1 {2}fr-par-1 {2}stopped/);
    expect(result.stderr).toMatch(/sam-demo-\w+-2 {2}deleted/);
  });

  it('prints one JSON document with --json, counting every request', async () => {
    const result = await cli(['demo', '--speed', '50', '--json']);

    expect(result.code).toBe(0);
    const demo = parseJson(result) as DemoJson;
    expect(demo).toMatchObject({ provider: 'scaleway', target: 'emulator', passed: true });
    expect(demo.steps.map((step) => step.operation)).toEqual(OPERATIONS);
    expect(demo.steps.every((step) => step.ok)).toBe(true);
    expect(demo.steps.map((step) => step.vms)).toEqual(operations('scaleway').map(([, vms]) => vms));
    // Creating on Scaleway is three requests per VM (server, user data, poweron) plus the image lookups.
    expect(demo.steps[1]?.requests).toBeGreaterThanOrEqual(9);
    expect(demo.totalRequests).toBe(demo.steps.reduce((sum, step) => sum + step.requests, 0));
    expect(demo.leftovers).toEqual({ servers: 0, volumes: 0, ips: 0 });
  });

  it('stays on the emulator without --live even when credentials are in the environment', async () => {
    // No --api-url: a request to the real API would trip the loopback guard and fail the demo.
    const result = await cli(['demo', '--speed', '50', '--quiet'], {
      env: {
        SCW_SECRET_KEY: '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c',
        SCW_DEFAULT_PROJECT_ID: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
      },
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS');
  });

  it('without --live ignores incomplete or broken settings in the environment, and says so', async () => {
    const scaleway = await cli(['demo', '--speed', '50'], {
      env: { SCW_SECRET_KEY: '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c', SCW_DEFAULT_ZONE: 'xx-nowhere-9' },
    });
    expect(scaleway.code).toBe(0);
    expect(scaleway.stderr).toContain('Scaleway credentials found but not used');

    const hetzner = await cli(['demo', '--provider', 'hetzner', '--speed', '50', '--quiet'], {
      env: { HCLOUD_TOKEN: 'not-a-token', HCLOUD_ENDPOINT: 'https://api.hetzner.cloud/v1' },
    });
    expect(hetzner.code).toBe(0);
    expect(hetzner.stdout).toContain('PASS');
  });

  it('exits 130 when interrupted after the create step', async () => {
    const result = await cli(['demo', '--speed', '50'], { interruptWhen: /✓ create/ });

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: deleting the VMs the demo created');
    expect(result.stderr).toContain('✓ cleaned up 3 demo VMs');
    expect(result.stdout).toContain('INTERRUPTED: during wait until running');
  });

  it('draws a spinner on a terminal that has cursor control, leaving Ctrl-C to the CLI', async () => {
    vi.stubEnv('CI', undefined);
    vi.stubEnv('TERM', 'xterm-256color');
    const handlers = process.listenerCount('SIGINT');
    let handlersWhileSpinning = handlers;
    try {
      const result = await cli(['demo', '--speed', '50'], {
        terminal: 'cursor',
        onStderr: () => {
          handlersWhileSpinning = Math.max(handlersWhileSpinning, process.listenerCount('SIGINT'));
        },
      });

      expect(result.code).toBe(0);
      // yocto-spinner hides the cursor while it spins.
      expect(result.stderr).toContain('\u001b[?25l');
      expect(result.stdout).toContain('PASS');
      // Its own Ctrl-C handler would exit the process before the demo could clean up.
      expect(handlersWhileSpinning).toBe(handlers);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('prints plain lines on a terminal stream without cursor methods', async () => {
    vi.stubEnv('CI', undefined);
    vi.stubEnv('TERM', 'xterm-256color');
    try {
      const result = await cli(['demo', '--speed', '50'], { terminal: 'bare' });

      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain('\u001b[?25l');
      expect(result.stderr).toMatch(/^ {2}sam-demo-\w+-1 {2}fr-par-1 {2}starting/m);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('prints plain lines when CI is set, where the spinner would print every redraw', async () => {
    vi.stubEnv('CI', '1');
    vi.stubEnv('TERM', 'xterm-256color');
    try {
      const result = await cli(['demo', '--speed', '50'], { terminal: 'cursor', env: { CI: '1' } });

      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(result.stderr).toMatch(/^.*✓.* create /m);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.for(['scaleway', 'hetzner'] as const)(
    'on %s creates a data volume, attaches it, shows it survived its VM, then deletes it',
    async (provider, { skip }) => {
      if (!volumesSupported(provider)) skip(`${provider} volumes are not supported yet`);
      const result = await cli(['demo', '--provider', provider, '--speed', '50', '--json']);

      expect(result.code).toBe(0);
      const demo = parseJson(result) as DemoJson;
      const rows = demo.steps.filter((step) => VOLUME_STEPS.includes(step.operation));
      expect(rows.map((step) => step.operation)).toEqual(VOLUME_STEPS);
      for (const row of rows) {
        expect(row.ok).toBe(true);
        expect(row.requests).toBeGreaterThanOrEqual(1);
      }
      // Attaching waits until the volume is attached: at least the attach and one read.
      expect(rows[1]?.requests).toBeGreaterThanOrEqual(2);
      expect(demo.leftovers).toEqual({ servers: 0, volumes: 0, ips: 0 });
      // Progress: the volume attached to a demo VM, then available (kept) once the VMs are gone, then deleted.
      const location = provider === 'scaleway' ? '(fr-par-1|nl-ams-1)' : '(fsn1|nbg1)';
      expect(result.stderr).toMatch(
        new RegExp(
          `^ {2}sam-demo-\\w+-data {2}${location} {2}10 GB {2}attached {2}on sam-demo-\\w+-\\d$`,
          'm',
        ),
      );
      const afterDelete = result.stderr.slice(result.stderr.indexOf('✓ delete + wait'));
      expect(afterDelete).toMatch(
        new RegExp(`^ {2}sam-demo-\\w+-data {2}${location} {2}10 GB {2}available$`, 'm'),
      );
      expect(afterDelete).toMatch(/^ {2}sam-demo-\w+-data {2}deleted$/m);
    },
  );

  it('when interrupted after attaching the volume, deletes the VMs and then the volume, and exits 130', async () => {
    const result = await cli(['demo', '--speed', '50'], { interruptWhen: /✓ attach volume/ });

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: deleting the VMs and the volume the demo created');
    expect(result.stderr).toContain('✓ cleaned up 3 demo VMs');
    expect(result.stderr).toContain('✓ cleaned up 1 demo volume');
    expect(result.stderr.indexOf('cleaned up 3 demo VMs')).toBeLessThan(
      result.stderr.indexOf('cleaned up 1 demo volume'),
    );
    expect(result.stdout).toContain('INTERRUPTED: during list by label');
  });

  it('refuses --live without credentials (usage error)', async () => {
    const result = await cli(['demo', '--live']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--live needs Scaleway credentials');
  });
});

describe('sam-provider demo --live against an account', () => {
  let account: ScalewayAccount | undefined;
  afterEach(async () => {
    await account?.server.close();
    account = undefined;
  });

  it('names the VMs and their hourly cost, and refuses without --yes when no one can answer', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', ...account.flags], { env: account.env });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /The demo will create 3 VMs and a 10 GB volume in your Scaleway account, project [0-9a-f-]{36}/,
    );
    expect(result.stderr).toMatch(/sam-demo-\w+-1 {2}DEV1-M {2}fr-par-1 {2}about €0\.0202\/hour/);
    expect(result.stderr).toMatch(/sam-demo-\w+-data {2}10 GB data volume, in the first VM's location/);
    expect(result.stderr).toContain('About €0.0606/hour in total');
    expect(result.stderr).toContain('refusing to create 3 VMs and a 10 GB volume');
    expect(account.emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('does nothing when the answer is no', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', ...account.flags], { env: account.env, typed: 'n\n' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Go ahead? [y/N]');
    expect(result.stderr).toContain('sam-provider: Cancelled: nothing was created');
    expect(account.emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('runs the lifecycle with --yes and checks the account holds no demo VM afterwards', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], { env: account.env });

    expect(result.code).toBe(0);
    const demo = parseJson(result) as DemoJson;
    expect(demo).toMatchObject({ target: 'account', passed: true, leftovers: { servers: 0 } });
    expect(demo.steps.at(-1)?.requests).toBeGreaterThan(0);
    expect(account.emulator.servers()).toEqual([]);
    expect(account.emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('runs after a yes typed on the terminal', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', '--quiet', ...account.flags], {
      env: account.env,
      typed: 'y\n',
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS');
    expect(
      account.emulator.requestCount({ method: 'POST', path: /^\/instance\/v1\/zones\/fr-par-1\/servers$/ }),
    ).toBe(2);
  });

  it('checks the credentials before showing the plan, with the same auth error as validate', async () => {
    account = await startScalewayAccount();
    const env = { ...account.env, SCW_SECRET_KEY: '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c' };
    const result = await cli(['demo', '--live', ...account.flags], { env, typed: 'y\n' });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^sam-provider: auth: Scaleway rejected the credentials: .*\(check SCW_SECRET_KEY \/ --secret-key/m,
    );
    expect(result.stderr).not.toContain('The demo will create');
    expect(result.stderr).not.toContain('Go ahead?');
    expect(result.stdout).toContain('FAIL: validate credentials');
    expect(account.emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('sends the labels and the cloud-init to the provider', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    let created: { tags: string[]; userData: string | undefined }[] = [];
    const result = await cli(['demo', '--live', '--yes', ...account.flags], {
      env: account.env,
      // Read while the VMs exist: the demo deletes them at the end.
      onStderr: (text) => {
        if (created.length === 0 && /✓ create/.test(text)) {
          created = emulator.servers().map((server) => ({
            tags: server.tags,
            userData: emulator.userData(server.zone, server.id, 'cloud-init'),
          }));
        }
      },
    });

    expect(result.code).toBe(0);
    expect(created).toHaveLength(3);
    for (const server of created) {
      expect(server.tags).toEqual(
        expect.arrayContaining(['demo=sam-provider', expect.stringMatching(/^run=\w+$/)]),
      );
      expect(server.userData).toMatch(/^#cloud-config\n/);
      expect(server.userData).toContain('sam-provider demo: ready');
    }
    const posts = emulator.requests.filter(
      (request) => request.method === 'POST' && /\/zones\/[^/]+\/servers$/.test(request.path),
    );
    expect(posts).toHaveLength(3);
    for (const post of posts) expect(JSON.parse(post.body ?? '{}').tags).toContain('demo=sam-provider');
    expect(emulator.requestCount({ method: 'PATCH', path: /\/user_data\/cloud-init$/ })).toBe(3);
  });

  it('when interrupted after the create step, deletes every VM it created and exits 130', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], {
      env: account.env,
      interruptWhen: /✓ create/,
    });

    expect(result.code).toBe(130);
    expect(parseJson(result)).toMatchObject({
      passed: false,
      interrupted: true,
      failedStep: 'wait until running',
    });
    expect(result.stderr).toContain('✓ cleaned up 3 demo VMs');
    expect(account.emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(3);
    expect(account.emulator.servers()).toEqual([]);
  });

  it('counts a VM a failed create could not remove as left behind, and names it', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    const forbidden = { status: 403, body: { type: 'permission_denied', message: 'action forbidden' } };
    emulator.injectFault({ method: 'PATCH', path: /\/user_data\/cloud-init$/, ...forbidden });
    emulator.injectFault({ method: 'DELETE', path: /\/servers\/[^/]+$/, ...forbidden });
    const result = await cli(['demo', '--live', '--yes', '--json', '--quiet', ...account.flags], {
      env: account.env,
    });

    expect(result.code).toBe(1);
    const ids = emulator.servers().map((server) => `${server.zone}/${server.id}`);
    expect(ids).toHaveLength(3);
    const demo = parseJson(result) as { failedStep: string; notDeleted: string[] };
    expect(demo.failedStep).toBe('create');
    expect([...demo.notDeleted].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect(result.stderr).toMatch(
        new RegExp(`^warning: could not remove server ${id} after a failure`, 'm'),
      );
    }
    expect(result.stderr).toContain(`delete them with \`sam-provider delete`);
  });

  it('runs the volume steps on the account: one Block volume, created, attached, kept, deleted', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    let during: { name: string; tags: string[]; serverId: string | null }[] = [];
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], {
      env: account.env,
      onStderr: (text) => {
        if (during.length === 0 && /✓ attach volume/.test(text)) {
          during = emulator
            .volumes()
            .filter((volume) => volume.volumeType === 'sbs_volume' && volume.name.endsWith('-data'))
            .map((volume) => ({ name: volume.name, tags: volume.tags, serverId: volume.serverId }));
        }
      },
    });

    expect(result.code).toBe(0);
    const demo = parseJson(result) as DemoJson;
    expect(demo.steps.filter((step) => VOLUME_STEPS.includes(step.operation)).every((step) => step.ok)).toBe(
      true,
    );
    expect(during).toHaveLength(1);
    expect(during[0]?.tags).toEqual(
      expect.arrayContaining(['demo=sam-provider', 'role=data', expect.stringMatching(/^run=\w+$/)]),
    );
    expect(during[0]?.serverId).not.toBeNull();
    expect(emulator.requestCount({ method: 'POST', path: /^\/block\/v1\/zones\/[^/]+\/volumes$/ })).toBe(1);
    expect(
      emulator.requestCount({ method: 'DELETE', path: /^\/block\/v1\/zones\/[^/]+\/volumes\/[^/]+$/ }),
    ).toBeGreaterThanOrEqual(1);
    // The leftover check lists the demo's VMs and its volume's location by label.
    expect(demo.steps.at(-1)?.requests).toBeGreaterThanOrEqual(2);
    expect(demo.leftovers).toEqual({ servers: 0, volumes: 0, ips: 0 });
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('when interrupted after attaching the volume, leaves nothing on the account', async () => {
    account = await startScalewayAccount();
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], {
      env: account.env,
      interruptWhen: /✓ attach volume/,
    });

    expect(result.code).toBe(130);
    expect(parseJson(result)).toMatchObject({
      passed: false,
      interrupted: true,
      failedStep: 'list by label',
    });
    expect(result.stderr).toContain('✓ cleaned up 1 demo volume');
    expect(account.emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('a failing volume create fails the demo, and the VMs are deleted', async () => {
    account = await startScalewayAccount();
    account.emulator.injectFault({
      method: 'POST',
      path: /^\/block\/v1\/zones\/[^/]+\/volumes$/,
      status: 403,
      body: { type: 'permission_denied', message: 'action forbidden' },
    });
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], { env: account.env });

    expect(result.code).toBe(1);
    expect(parseJson(result)).toMatchObject({
      passed: false,
      failedStep: 'create volume',
      error: { category: 'permission' },
    });
    expect(result.stdout).not.toContain('notDeleted');
    expect(result.stderr).toContain('✓ cleaned up 3 demo VMs');
    expect(result.stderr).not.toContain('demo volume');
    expect(account.emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('names a demo volume it could not delete, with the command that deletes it', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    const forbidden = { status: 403, body: { type: 'permission_denied', message: 'action forbidden' } };
    // The listing fails after the volume is attached; then the volume cannot be deleted.
    emulator.injectFault({ method: 'GET', path: '/instance/v1/zones/nl-ams-1/servers', ...forbidden });
    emulator.injectFault({
      method: 'DELETE',
      path: /^\/block\/v1\/zones\/[^/]+\/volumes\/[^/]+$/,
      ...forbidden,
    });
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], { env: account.env });

    expect(result.code).toBe(1);
    const demo = parseJson(result) as { failedStep: string; notDeleted: string[] };
    expect(demo.failedStep).toBe('list by label');
    const left = emulator.leftovers();
    expect(left.servers).toEqual([]);
    expect(left.volumes).toHaveLength(1);
    expect(demo.notDeleted).toHaveLength(1);
    const [id] = demo.notDeleted as [string];
    expect(id).toMatch(/^(fr-par-1|nl-ams-1)\/[0-9a-f-]{36}$/);
    expect(result.stderr).toMatch(
      new RegExp(`^warning: could not delete volume sam-demo-\\w+-data \\(${id}\\): permission: `, 'm'),
    );
    expect(result.stderr).toContain(
      `warning: 1 demo volume left behind, still billed: ${id}; delete it with \`sam-provider volume delete ${id} --location ${id.split('/')[0]}\``,
    );
  });

  it('a failing step fails the demo, and every VM it created is deleted', async () => {
    account = await startScalewayAccount();
    // Listing nl-ams-1 is refused: the "list by label" step fails after the three VMs exist.
    account.emulator.injectFault({
      method: 'GET',
      path: '/instance/v1/zones/nl-ams-1/servers',
      status: 403,
      body: { type: 'permission_denied', message: 'action forbidden' },
    });
    const result = await cli(['demo', '--live', '--yes', '--json', ...account.flags], { env: account.env });

    expect(result.code).toBe(1);
    const demo = parseJson(result) as DemoJson & { failedStep: string; error: { category: string } };
    expect(demo).toMatchObject({
      passed: false,
      failedStep: 'list by label',
      error: { category: 'permission' },
    });
    expect(demo.steps.map((step) => step.operation)).toEqual(
      OPERATIONS.slice(0, OPERATIONS.indexOf('list by label') + 1),
    );
    expect(result.stderr).toMatch(/^sam-provider: permission: .*nl-ams-1/m);
    expect(result.stderr).toContain('Cleaning up 3 demo VMs');
    // The volume was attached to a VM: it is deleted after the VMs, which release it.
    expect(result.stderr).toContain('✓ cleaned up 1 demo volume');
    expect(account.emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });
});
