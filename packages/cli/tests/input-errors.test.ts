import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_PROJECT_ID,
  ACCOUNT_SECRET_KEY,
  cli,
  type HetznerAccount,
  lines,
  parseJson,
  type ScalewayAccount,
  startHetznerAccount,
  startScalewayAccount,
} from './cli-harness.js';

let account: ScalewayAccount | HetznerAccount | undefined;
afterEach(async () => {
  await account?.server.close();
  account = undefined;
});

const CREATE = ['create', '--name', 'agent-1', '--size', 'small', '--location', 'fr-par-1'];
const SCALEWAY_FLAGS = ['--secret-key', ACCOUNT_SECRET_KEY, '--project-id', ACCOUNT_PROJECT_ID];

/** The requests of a `--verbose` run. */
function requested(stderr: string): string[] {
  return [...stderr.matchAll(/^http > ([A-Z]+ \S+)/gm)].map((match) => match[1] as string);
}

describe('every input typed wrongly exits 2 with one line naming the flag or variable', () => {
  const bigUserData = join(tmpdir(), `sam-provider-big-user-data-${process.pid}.yaml`);

  it.each([
    [['create', '--name', 'x', '--size', 'huge', '--location', 'fr-par-1'], {}, "argument 'huge' is invalid"],
    [
      ['create', '--name', 'x', '--size', 'small', '--location', 'fr-par-9'],
      {},
      'Invalid vm.location: unknown zone; use one of fr-par-1,',
      '(fix --location)',
    ],
    [['list', '--zone', 'fr-par-9'], {}, 'Invalid config.zone:', '(fix --zone)'],
    [['list'], { SCW_DEFAULT_ZONE: 'fr-par-9' }, 'Invalid config.zone:', '(fix SCW_DEFAULT_ZONE)'],
    [
      ['list', '--api-url', 'ftp://127.0.0.1:9', ...SCALEWAY_FLAGS],
      {},
      'Invalid config.apiUrl: must be an http(s) URL',
      '(fix --api-url)',
    ],
    [
      ['list', ...SCALEWAY_FLAGS],
      { SCW_API_URL: 'not a url' },
      'Invalid config.apiUrl:',
      '(fix SCW_API_URL)',
    ],
    [
      ['--provider', 'hetzner', 'list', '--token', 'token-1'],
      { HCLOUD_ENDPOINT: 'ftp://127.0.0.1:9' },
      'Invalid config.apiUrl:',
      '(fix HCLOUD_ENDPOINT)',
    ],
    [
      ['list'],
      { SCW_SECRET_KEY: 'abc', SCW_DEFAULT_PROJECT_ID: ACCOUNT_PROJECT_ID },
      'Invalid config.secretKey: must be a Scaleway secret key (a UUID)',
      '(fix SCW_SECRET_KEY)',
    ],
    [
      ['list', '--secret-key', 'abc', '--project-id', ACCOUNT_PROJECT_ID],
      {},
      'Invalid config.secretKey:',
      '(fix --secret-key)',
    ],
    [
      ['list'],
      { SCW_SECRET_KEY: ACCOUNT_SECRET_KEY, SCW_DEFAULT_PROJECT_ID: 'my-project' },
      'Invalid config.projectId:',
      '(fix SCW_DEFAULT_PROJECT_ID)',
    ],
    [
      ['--provider', 'hetzner', 'list'],
      { HCLOUD_TOKEN: 'not a token!' },
      'Invalid config.apiToken:',
      '(fix HCLOUD_TOKEN)',
    ],
    [
      ['create', '--name', '', '--size', 'small', '--location', 'fr-par-1'],
      {},
      'Invalid vm.name: must not be empty',
      '(fix --name)',
    ],
    [[...CREATE, '--image', 'no image!'], {}, 'Invalid vm.image:', '(fix --image)'],
    [
      [...CREATE, '--user-data', bigUserData],
      {},
      'Invalid vm.userData: must be at most',
      '(fix --user-data)',
    ],
    [
      [...CREATE, '--label', 'bad key=1'],
      {},
      'Invalid vm.labels.bad key: label keys must not contain "=", "," or whitespace',
      '(fix --label (key=value))',
    ],
    [
      [
        '--provider',
        'hetzner',
        'create',
        '--name',
        'agent-1',
        '--size',
        'small',
        '--location',
        'fsn1',
      ].concat(['--label', '-key=1']),
      {},
      'Invalid vm.labels.-key: label keys must be up to 63 letters, digits',
      '(fix --label (key=value))',
    ],
    [
      ['list', '--label', 'team=a', '--label', 'team=b'],
      {},
      'Label key "team" is given twice; give each key once.',
    ],
    [[...CREATE, '--label', 'k=1', '--label', 'k=2'], {}, 'Label key "k" is given twice'],
  ] as [string[], Record<string, string>, string, string?][])(
    '%j with %j: %s',
    async (args, env, message, fix) => {
      await writeFile(bigUserData, 'x'.repeat(200_000));
      for (const json of [false, true]) {
        const result = await cli([...args, '--verbose', ...(json ? ['--json'] : [])], { env });

        expect(result.code).toBe(2);
        const errors = lines(result.stderr).filter((line) => line.startsWith('error:'));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain(message);
        if (fix !== undefined) expect(errors[0]?.endsWith(fix)).toBe(true);
        expect(errors[0]).not.toContain('Invalid key in record');
        expect(result.stderr).not.toContain('sam-provider:');
        expect(requested(result.stderr)).toEqual([]);
        if (json) {
          expect(parseJson(result)).toEqual({
            error: { category: 'usage', message: expect.stringContaining(message) },
          });
        } else {
          expect(result.stdout).toBe('');
        }
      }
    },
  );

  it('an image label Scaleway does not know exits 2 too (the library refuses it after looking it up)', async () => {
    const result = await cli([...CREATE, '--image', 'no_such_image']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error: Invalid vm.image: unknown image label "no_such_image" in fr-par-1 (fix --image)',
    );
  });

  it('a key or token never appears in the message', async () => {
    const result = await cli(['list'], {
      env: { SCW_SECRET_KEY: 'SECRET-MARKER-51c2', SCW_DEFAULT_PROJECT_ID: ACCOUNT_PROJECT_ID },
    });

    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).not.toContain('SECRET-MARKER-51c2');
  });
});

describe('hints fit the failure', () => {
  it('an image Hetzner does not have is refused by the embedded emulator: exit 2, about --image', async () => {
    const result = await cli([
      ...['--provider', 'hetzner', 'create', '--name', 'agent-1', '--size', 'small', '--location', 'fsn1'],
      ...['--image', 'no-such-image'],
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: Hetzner API 400 invalid_input: image not found \(no such image: check --image /m,
    );
    expect(result.stderr).not.toContain('sam-provider list');
  });

  it('an image UUID Scaleway does not have: exit 2 with the --image hint, not a list of VMs', async () => {
    const result = await cli([...CREATE, '--image', '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*instance_image.*\(no such image in that zone: check --image /m);
    expect(result.stderr).not.toContain('shows the VMs that exist');
  });

  it.each([
    ['--api-url', (url: string) => ({ flags: ['--api-url', `${url}/wrong`], env: {} })],
    ['SCW_API_URL', (url: string) => ({ flags: [], env: { SCW_API_URL: `${url}/wrong` } })],
  ])('a wrong %s path is named, not the credentials', async (source, given) => {
    account = await startScalewayAccount();
    const { flags, env } = given(account.server.url);

    for (const command of [['list'], ['validate']]) {
      const result = await cli([...command, ...flags], { env: { ...account.env, ...env } });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `(check ${source}: it must be the API's base URL, e.g. https://api.scaleway.com)`,
      );
      expect(result.stderr).not.toContain('SCW_SECRET_KEY /');
      expect(result.stderr).not.toContain('shows the VMs that exist');
    }
  });

  it('a Hetzner --api-url without /v1 is named, not the token', async () => {
    account = await startHetznerAccount();
    const flags = ['--provider', 'hetzner', '--api-url', account.server.url];

    for (const command of ['list', 'validate']) {
      const result = await cli([command, ...flags], { env: account.env });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "(check --api-url: it must be the API's base URL, e.g. https://api.hetzner.cloud/v1)",
      );
      expect(result.stderr).not.toContain('HCLOUD_TOKEN');
    }
  });

  it('on an account a missing VM points at `list`; on the embedded emulator it does not', async () => {
    const missing = 'fr-par-1/0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c';
    account = await startScalewayAccount();

    const onAccount = await cli(['get', missing, ...account.flags], { env: account.env });
    expect(onAccount.stderr).toContain('(`sam-provider list` shows the VMs that exist)');

    for (const command of ['get', 'power-off', 'power-on']) {
      const embedded = await cli([command, missing]);
      expect(embedded.code).toBe(1);
      expect(embedded.stderr).toContain('the embedded emulator starts empty for every command');
      expect(embedded.stderr).not.toContain('sam-provider list');
    }
  });
});

describe('what a VM looks like', () => {
  it('a VM with no labels says (none), not an empty row', async () => {
    const result = await cli(CREATE);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^labels\s+\(none\)$/m);
  });

  it('a stopped VM has no IP "while off", not "yet"; a label value with a comma is quoted in LABELS', async () => {
    account = await startScalewayAccount();
    const options = { env: account.env };
    const flags = ['--yes', ...account.flags];
    const created = await cli(
      [...CREATE, '--label', 'note=a,b', '--label', 'team=x', '--wait', '--json', ...flags],
      options,
    );
    const { id } = parseJson(created) as { id: string };

    const off = await cli(['power-off', id, '--wait', ...flags], options);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^ip\s+\(none while off\)$/m);
    expect(off.stdout).not.toContain('none yet');
    expect(off.stdout).toMatch(/^labels\s+note="a,b",team=x$/m);

    const listed = await cli(['list', ...flags], options);
    expect(listed.stdout).toMatch(/\snote="a,b",team=x$/m);
  });

  it('delete asks about one VM in the singular, however often its id is given', async () => {
    account = await startScalewayAccount();
    const { emulator } = account as ScalewayAccount;
    const [one, two] = [emulator.seedServer({ state: 'running' }), emulator.seedServer({ state: 'running' })];
    const first = `${one.zone}/${one.id}`;
    const second = `${two.zone}/${two.id}`;

    const single = await cli(['delete', first, first, ...account.flags], { env: account.env, typed: 'n\n' });
    expect(single.stderr).toContain(
      `Delete VM ${first} with its boot disk and IP? Attached data volumes are detached and kept.`,
    );

    const both = await cli(['delete', first, second, ...account.flags], { env: account.env, typed: 'n\n' });
    expect(both.stderr).toContain(`Delete 2 VMs (${first}, ${second}) with their boot disks and IPs?`);
    expect(emulator.servers()).toHaveLength(2);
  });

  it('a wait cut by Ctrl-C says interrupted, not that the VM did not become running', async () => {
    account = await startScalewayAccount();

    const result = await cli([...CREATE, '--wait', '--yes', ...account.flags], {
      env: account.env,
      interruptWhen: /✓ created/,
    });

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('✗ interrupted: waiting for agent-1 to be running');
    expect(result.stderr).not.toContain('did not become');
  });
});

describe('a name already taken', () => {
  it('a Hetzner create with a name in use says to choose another --name, not to wait', async () => {
    const hetzner = await startHetznerAccount();
    account = hetzner;
    hetzner.emulator.seedServer({ name: 'agent-1' });
    const result = await cli(
      [
        ...['create', '--name', 'agent-1', '--size', 'small', '--location', 'fsn1', '--yes'],
        ...hetzner.flags,
      ],
      { env: hetzner.env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('that name is taken: choose another --name');
    expect(result.stderr).not.toContain('wait and try again');
  });
});

describe('a wrong API path never reads as "not found"', () => {
  it.each([
    ['get', (vm: string) => ['get', vm]],
    ['delete --missing-ok', (vm: string) => ['delete', vm, '--missing-ok', '--yes']],
  ])(
    '%s of an existing VM through a wrong --api-url path exits 1 about --api-url, and deletes nothing',
    async (_, args) => {
      const scaleway = await startScalewayAccount();
      account = scaleway;
      const server = scaleway.emulator.seedServer({ zone: 'fr-par-1', state: 'running' });
      const result = await cli(
        [...args(`fr-par-1/${server.id}`), '--api-url', `${scaleway.server.url}/wrong`],
        {
          env: scaleway.env,
        },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('check --api-url');
      expect(result.stdout).not.toContain('not found');
      expect(scaleway.emulator.getServer('fr-par-1', server.id)).toBeDefined();
    },
  );

  it('a Hetzner --api-url without /v1: get of an existing VM is about --api-url too', async () => {
    const hetzner = await startHetznerAccount();
    account = hetzner;
    const server = hetzner.emulator.seedServer({ name: 'agent-1' });
    const result = await cli(
      ['--provider', 'hetzner', 'get', String(server.id), '--api-url', hetzner.server.url],
      {
        env: hetzner.env,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('check --api-url');
  });
});

describe('one VM given two ways', () => {
  it('delete fr-par-1/<uuid> <uuid> deletes one VM and says so', async () => {
    const scaleway = await startScalewayAccount();
    account = scaleway;
    const server = scaleway.emulator.seedServer({ zone: 'fr-par-1', state: 'running' });
    const result = await cli(
      ['delete', `fr-par-1/${server.id}`, server.id, '--yes', '--json', ...scaleway.flags],
      {
        env: scaleway.env,
      },
    );
    expect(result.code).toBe(0);
    expect(parseJson(result)).toMatchObject({ deleted: [`fr-par-1/${server.id}`], notFound: [], failed: [] });
  });

  it('volume attach --vm <bare uuid> of the VM it is already on: nothing changes, exit 0', async () => {
    const scaleway = await startScalewayAccount();
    account = scaleway;
    const server = scaleway.emulator.seedServer({ zone: 'fr-par-1', state: 'running' });
    const volume = scaleway.emulator.seedBlockVolume({ zone: 'fr-par-1', serverId: server.id });
    const result = await cli(
      ['volume', 'attach', `fr-par-1/${volume.id}`, '--vm', server.id, '--json', ...scaleway.flags],
      {
        env: scaleway.env,
      },
    );
    expect(result.code).toBe(0);
    expect(parseJson(result)).toMatchObject({ attachedServerId: `fr-par-1/${server.id}` });
    expect(scaleway.emulator.requestCount({ method: 'POST' })).toBe(0);
  });
});
