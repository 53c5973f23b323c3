import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCALEWAY_EMULATOR_SECRET_KEY } from '@simple-agent-manager/cloud-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SECRET_KEY,
  cli,
  type HetznerAccount,
  lines,
  parseJson,
  type ScalewayAccount,
  startHetznerAccount,
  startScalewayAccount,
} from './cli-harness.js';

interface VMJson {
  id: string;
  name: string;
  status: string;
  ip: string;
  location: string;
  labels: Record<string, string>;
}

/** A well-formed Scaleway server id that names no server. */
const UUID = '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c';
const MISSING = `fr-par-1/${UUID}`;

/** `text` as a literal part of a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

let account: ScalewayAccount | HetznerAccount | undefined;
afterEach(async () => {
  await account?.server.close();
  account = undefined;
});

describe('catalog commands', () => {
  it('sizes --json lists each size with its type, price and the zones offering it', async () => {
    const result = await cli(['sizes', '--json']);

    expect(result.code).toBe(0);
    const sizes = parseJson(result) as {
      size: string;
      type: string;
      price: string;
      pricing: { hourlyEur: number };
      locations: string[];
    }[];
    expect(sizes.map((size) => [size.size, size.type])).toEqual([
      ['small', 'DEV1-M'],
      ['medium', 'DEV1-XL'],
      ['large', 'GP1-S'],
    ]);
    expect(sizes[0]?.pricing.hourlyEur).toBeGreaterThan(0);
    expect(sizes[0]?.price).toMatch(/^€\d+\.\d{4}\/hr$/);
    expect(sizes[0]?.locations).toContain('fr-par-1');
    expect(sizes[0]?.locations).not.toContain('fr-par-3');
  });

  it('sizes prints a table', async () => {
    const result = await cli(['sizes', '--provider', 'hetzner']);

    expect(result.code).toBe(0);
    expect(lines(result.stdout)[0]).toMatch(
      /^SIZE\s+TYPE\s+VCPU\s+RAM GB\s+DISK GB\s+PER HOUR\s+PER MONTH\s+LOCATIONS$/,
    );
    expect(result.stdout).toMatch(/^small\s+cx23\s+2\s+4\s+40\s+€0\.0048\s+€\d+\.\d\d\s+fsn1,/m);
  });

  it('sizes and locations read no credentials and start no emulator', async () => {
    // Incomplete credentials would be a usage error for any command that uses them.
    const env = {
      SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY,
      HCLOUD_ENDPOINT: 'https://api.hetzner.cloud/v1',
    };

    const sizes = await cli(['sizes', '--json'], { env });
    expect(sizes.code).toBe(0);
    expect(sizes.stderr).toBe('');
    const locations = await cli(['locations', '--provider', 'hetzner'], { env });
    expect(locations.code).toBe(0);
    expect(locations.stderr).toBe('');
  });

  it('locations --json lists the locations with the sizes each offers', async () => {
    const result = await cli(['--provider', 'hetzner', 'locations', '--json']);

    expect(result.code).toBe(0);
    const locations = parseJson(result) as { id: string; sizes: string[] }[];
    expect(locations.find((location) => location.id === 'fsn1')?.sizes).toEqual(['small', 'medium', 'large']);
    expect(locations.find((location) => location.id === 'ash')?.sizes).toEqual([]);
  });
});

describe('VM commands on the embedded emulator', () => {
  it('list --json prints an empty array: each command starts a fresh emulator', async () => {
    const result = await cli(['list', '--json', '--label', 'team=a']);

    expect(result.code).toBe(0);
    expect(parseJson(result)).toEqual([]);
    expect(result.stderr).toContain('it starts empty and is discarded when this command ends');
  });

  it.each([
    ['scaleway', 'fr-par-1'],
    ['hetzner', 'nbg1'],
  ])('create --wait on %s returns a running VM with an IP', async (provider, location) => {
    const result = await cli([
      'create',
      ...['--provider', provider, '--name', 'agent-1', '--size', 'small', '--location', location],
      ...['--label', 'team=a', '--label', 'run=7', '--wait', '--json'],
    ]);

    expect(result.code).toBe(0);
    const vm = parseJson(result) as VMJson;
    expect(vm).toMatchObject({
      name: 'agent-1',
      status: 'running',
      location,
      labels: { team: 'a', run: '7' },
    });
    expect(vm.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('create prints the VM for people without --json', async () => {
    const result = await cli(['create', '--name', 'agent-2', '--size', 'medium', '--location', 'nl-ams-1']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^id\s+nl-ams-1\/[0-9a-f-]{36}$/m);
    expect(result.stdout).toMatch(/^type\s+DEV1-XL$/m);
    expect(result.stderr).toMatch(/✓ created agent-2 \(nl-ams-1\/[0-9a-f-]{36}\)/);
  });

  it.each([
    ['scaleway', 'fr-par-3', ['fr-par-1', 'nl-ams-1', 'pl-waw-2']],
    ['hetzner', 'ash', ['fsn1', 'nbg1', 'hel1']],
  ])(
    'create with a size %s does not offer in %s exits 2 naming the locations that offer it',
    async (provider, location, offered) => {
      const result = await cli([
        ...['--provider', provider, 'create', '--name', 'agent-3', '--size', 'small', '--location', location],
      ]);

      expect(result.code).toBe(2);
      const errors = lines(result.stderr).filter((line) => line.startsWith('error:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Invalid vm.size: "small"`);
      expect(errors[0]).toContain(`not offered in ${location}`);
      expect(errors[0]).toContain('(choose another --size or --location (see `sam-provider sizes`))');
      for (const zone of offered) expect(errors[0]).toContain(zone);
      expect(result.stdout).toBe('');
    },
  );

  it('create in an unknown zone exits 2 naming the zones', async () => {
    const result = await cli(['create', '--name', 'agent-4', '--size', 'small', '--location', 'fr-par-9']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: Invalid vm\.location: unknown zone; use one of fr-par-1, .*it-mil-1 \(fix --location\)$/m,
    );
  });

  it('get of an unknown id exits 1 with not_found, and does not send people to `list` on the embedded emulator', async () => {
    const result = await cli(['get', MISSING]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `sam-provider: not_found: VM ${MISSING} not found (the embedded emulator starts empty for every command, so nothing an earlier command created is in it; \`sam-provider sandbox\` keeps state across commands)`,
    );
    expect(result.stderr).not.toContain('sam-provider list');
    expect(result.stdout).toBe('');
  });

  it('with --json a failure is also one JSON document on stdout', async () => {
    const result = await cli(['get', MISSING, '--json']);

    expect(result.code).toBe(1);
    expect(parseJson(result)).toMatchObject({ error: { category: 'not_found', provider: 'scaleway' } });
  });

  it.each([
    [['get', 'fr-par-1/not-a-uuid'], 'fr-par-1/not-a-uuid', 'argument <id>', 'Scaleway'],
    [['get', ''], '', 'argument <id>', 'Scaleway'],
    [['power-off', `xx-yyy-1/${UUID}`], `xx-yyy-1/${UUID}`, 'argument <id>', 'Scaleway'],
    [['power-on', `fr-par-1/${UUID}/x`], `fr-par-1/${UUID}/x`, 'argument <id>', 'Scaleway'],
    [['delete', 'fr-par-1/not-a-uuid'], 'fr-par-1/not-a-uuid', 'argument <id...>', 'Scaleway'],
    [['delete', ''], '', 'argument <id...>', 'Scaleway'],
    [['delete', MISSING, 'agent-1'], 'agent-1', 'argument <id...>', 'Scaleway'],
    [
      ['--provider', 'hetzner', 'power-off', 'not-a-number'],
      'not-a-number',
      'argument <id>',
      'Hetzner Cloud',
    ],
    [['--provider', 'hetzner', 'delete', '0'], '0', 'argument <id...>', 'Hetzner Cloud'],
    [['--provider', 'hetzner', 'get', MISSING], MISSING, 'argument <id>', 'Hetzner Cloud'],
  ])(
    '%j is a usage error naming the argument and the shape, before anything is sent',
    async (args, id, argument, title) => {
      const result = await cli([...args, '--verbose']);

      expect(result.code).toBe(2);
      const [line] = lines(result.stderr);
      expect(line).toMatch(
        new RegExp(
          `^error: invalid VM id ${literal(JSON.stringify(id))} \\(${literal(argument)}\\): a ${title} VM id is `,
        ),
      );
      expect(line).toContain(title === 'Scaleway' ? '{zone}/{uuid} with a known zone' : 'a positive integer');
      expect(result.stderr).not.toContain('already gone');
      expect(result.stderr).not.toContain('http >');
      expect(result.stdout).toBe('');
    },
  );

  it('a malformed id with --json is one usage error document', async () => {
    const result = await cli(['delete', 'fr-par-1/not-a-uuid', '--json']);

    expect(result.code).toBe(2);
    expect(parseJson(result)).toEqual({
      error: {
        category: 'usage',
        message: expect.stringContaining('invalid VM id "fr-par-1/not-a-uuid" (argument <id...>)'),
      },
    });
  });

  it('a bare server UUID is an id Scaleway accepts', async () => {
    const result = await cli(['get', UUID]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`sam-provider: not_found: VM ${UUID} not found`);
  });

  it('delete of a VM that does not exist exits 1: not found, nothing deleted', async () => {
    const result = await cli(['delete', MISSING]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^sam-provider: not_found: ${MISSING}: VM not found, nothing deleted \\(.*; --missing-ok accepts ids that do not exist\\)$`,
        'm',
      ),
    );
    expect(result.stderr).toContain(`✗ VM ${MISSING} not found, nothing deleted`);
    expect(result.stderr).not.toContain('✓');
    expect(result.stderr).not.toContain('already gone');
  });

  it('delete --missing-ok of a VM that does not exist exits 0, saying nothing was deleted', async () => {
    const result = await cli(['delete', MISSING, '--missing-ok']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`- ${MISSING} not found, nothing deleted\n`);
    expect(result.stderr).not.toContain('sam-provider:');
    expect(result.stderr).not.toContain('deleted VM');
  });

  it('an interrupt stops a command with exit code 130', async () => {
    const result = await cli(['create', '--name', 'agent-11', '--size', 'small', '--location', 'fr-par-1'], {
      interruptWhen: /Using the embedded/,
    });

    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^sam-provider: interrupted$/m);
    expect(result.stdout).toBe('');
  });

  it('an invalid --zone exits 2 naming the flag', async () => {
    const result = await cli(['list', '--zone', 'xx-yyy-9']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: Invalid config\.zone: .* \(fix --zone\)$/m);
  });

  it('an invalid SCW_DEFAULT_ZONE exits 2 naming the variable', async () => {
    const result = await cli(['list'], { env: { SCW_DEFAULT_ZONE: 'xx-yyy-9' } });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: Invalid config\.zone: .* \(fix SCW_DEFAULT_ZONE\)$/m);
  });
});

describe('usage errors', () => {
  it('an unknown flag exits 2 with one error line and where the help is, on stderr', async () => {
    const result = await cli(['list', '--bogus']);

    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "error: unknown option '--bogus'",
      '(see `sam-provider --help`, or `sam-provider <command> --help`)',
    ]);
    expect(result.stdout).toBe('');
  });

  it.each([
    [['create', '--name', 'x', '--location', 'fr-par-1'], "required option '--size <size>' not specified"],
    [['create', '--name', 'x', '--size', 'huge', '--location', 'fr-par-1'], "argument 'huge' is invalid"],
    [['get'], "missing required argument 'id'"],
    [['--provider', 'aws', 'sizes'], 'Allowed choices are scaleway, hetzner'],
    [['list', '--label', 'team'], 'Expected key=value'],
    [['demo', '--speed', '0'], 'Expected a number above 0'],
    [['launch'], "unknown command 'launch'"],
  ])('%j exits 2: %s', async (args, message) => {
    const result = await cli(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    // One line naming what is wrong, then where the help is: not the whole help.
    expect(lines(result.stderr)).toHaveLength(2);
    expect(result.stderr).not.toContain('Usage: sam-provider');
  });

  it.each([
    [['list', '--secret-keyy=SECRET-MARKER-7c1d'], "unknown option '--secret-keyy=…'"],
    [['--tokn=SECRET-MARKER-7c1d', 'list'], "unknown option '--tokn=…'"],
    [['get', '--secret-key', 'SECRET-MARKER-7c1d'], "missing required argument 'id'"],
    [['--provider', 'hetzner', '--token', 'SECRET-MARKER-7c1d', 'launch'], "unknown command 'launch'"],
  ])('%j never prints the secret it was given', async (args, message) => {
    for (const json of [[], ['--json']]) {
      const result = await cli([...args, ...json]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stdout + result.stderr).not.toContain('SECRET-MARKER-7c1d');
    }
  });

  it.each([
    [['list', '--bogus', '--json'], "unknown option '--bogus'"],
    [['--json', 'get'], "missing required argument 'id'"],
    [
      ['--json', 'create', '--name', 'x', '--size', 'huge', '--location', 'fr-par-1'],
      "argument 'huge' is invalid",
    ],
    [['--json', 'launch'], "unknown command 'launch'"],
    [['--json'], 'no command given'],
    [['--json', '--token', 'abc', 'list'], '--token applies to --provider hetzner'],
    [['--json', 'demo', '--live'], '--live needs Scaleway credentials'],
  ])('%j prints one JSON usage error on stdout as well', async (args, message) => {
    const result = await cli(args);

    expect(result.code).toBe(2);
    const document = parseJson(result) as { error: { category: string; message: string } };
    expect(document.error.category).toBe('usage');
    expect(document.error.message).toContain(message);
    expect(document.error.message).not.toMatch(/^error: /);
    expect(result.stderr).toContain(message);
  });

  it('no command exits 2 with the help on stderr; --help exits 0 with it on stdout', async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Commands:');

    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('SCW_SECRET_KEY');
  });

  it.each([
    [['--token', 'abc', 'list'], '--token applies to --provider hetzner'],
    [['--provider', 'hetzner', '--zone', 'fr-par-1', 'list'], '--zone applies to --provider scaleway'],
    [['--api-url', 'http://127.0.0.1:9', 'list'], '--api-url needs a secret key'],
  ])('%j exits 2: %s', async (args, message) => {
    const result = await cli(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('a secret key without a project exits 2 naming the variable', async () => {
    const result = await cli(['list'], { env: { SCW_SECRET_KEY: SCALEWAY_EMULATOR_SECRET_KEY } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('set SCW_DEFAULT_PROJECT_ID or pass --project-id');
  });
});

describe('against an account (a loopback emulator given as --api-url)', () => {
  it('rejected Scaleway credentials exit 1 with one auth line naming where they come from', async () => {
    account = await startScalewayAccount();
    const env = { ...account.env, SCW_SECRET_KEY: '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c' };

    const listed = await cli(['list', ...account.flags], { env });
    expect(listed.code).toBe(1);
    expect(lines(listed.stderr)).toHaveLength(1);
    expect(listed.stderr).toMatch(/^sam-provider: auth: .*\(check SCW_SECRET_KEY \/ --secret-key/);

    const validated = await cli(['validate', ...account.flags], { env });
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain('sam-provider: auth: Scaleway rejected the credentials');
  });

  it('a rejected Hetzner token exits 1 with an auth line', async () => {
    account = await startHetznerAccount();
    const result = await cli(['list', '--token', 'not-the-token', ...account.flags]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sam-provider: auth: .*\(check HCLOUD_TOKEN \/ --token\)$/m);
  });

  it('validate accepts good credentials', async () => {
    account = await startScalewayAccount();
    const result = await cli(['validate', '--json', ...account.flags], { env: account.env });

    expect(result.code).toBe(0);
    expect(parseJson(result)).toEqual({ valid: true, provider: 'scaleway', target: 'account' });
  });

  it.each([
    [['create', '--name', 'agent-5', '--size', 'small', '--location', 'fr-par-1'], 'refusing to create a VM'],
    [['delete', '{vm}'], 'refusing to delete VMs'],
    [['power-off', '{vm}'], 'refusing to power-off'],
    [['power-on', '{vm}'], 'refusing to power-on'],
  ])('%j without --yes and without a terminal exits 2 and changes nothing', async (args, message) => {
    account = await startScalewayAccount();
    const server = (account as ScalewayAccount).emulator.seedServer({ zone: 'fr-par-1', state: 'running' });
    const vm = `fr-par-1/${server.id}`;
    const result = await cli([...args.map((arg) => (arg === '{vm}' ? vm : arg)), ...account.flags], {
      env: account.env,
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('pass --yes');
    expect(account.emulator.requestCount({ method: 'POST' })).toBe(0);
    expect(account.emulator.requestCount({ method: 'DELETE' })).toBe(0);
  });

  it('delete asks only about the VMs that exist, and asks nothing when none does', async () => {
    account = await startScalewayAccount();
    const server = (account as ScalewayAccount).emulator.seedServer({ zone: 'fr-par-1', state: 'running' });
    const vm = `fr-par-1/${server.id}`;

    const asked = await cli(['delete', vm, MISSING, vm, ...account.flags], {
      env: account.env,
      typed: 'no\n',
    });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain(
      `Delete VM ${vm} with its boot disk and IP? Attached data volumes are detached and kept. [y/N] `,
    );
    expect(asked.stderr).toContain('Cancelled: nothing was changed');
    expect((account as ScalewayAccount).emulator.servers()).toHaveLength(1);

    const none = await cli(['delete', MISSING, ...account.flags], { env: account.env });
    expect(none.code).toBe(1);
    expect(none.stderr).not.toContain('refusing');
    expect(none.stderr).toMatch(
      new RegExp(
        `^sam-provider: not_found: ${literal(MISSING)}: VM not found, nothing deleted \\(\`sam-provider list\` shows the VMs that exist; --missing-ok accepts ids that do not exist\\)$`,
        'm',
      ),
    );
  });

  it('delete --json says per id what happened, each id once; --missing-ok accepts the missing ones', async () => {
    account = await startScalewayAccount();
    const { emulator } = account as ScalewayAccount;
    const first = emulator.seedServer({ zone: 'fr-par-1', state: 'running', name: 'agent-1' });
    const second = emulator.seedServer({ zone: 'fr-par-1', state: 'running', name: 'agent-2' });
    const vm = `fr-par-1/${first.id}`;
    const other = `fr-par-1/${second.id}`;
    const flags = ['--yes', '--json', ...account.flags];

    const result = await cli(['delete', vm, MISSING, `fr-par-1/${first.id.toUpperCase()}`, vm, ...flags], {
      env: account.env,
    });
    expect(result.code).toBe(1);
    expect(parseJson(result)).toEqual({
      results: [
        { id: vm, outcome: 'deleted' },
        { id: MISSING, outcome: 'not_found' },
      ],
      deleted: [vm],
      notFound: [MISSING],
      failed: [],
    });
    expect(result.stderr).toContain(`✗ deleted 1 of 2 VMs; 1 not found`);
    expect(lines(result.stderr).filter((line) => line.startsWith('sam-provider: not_found'))).toHaveLength(1);
    expect(emulator.servers().map((server) => server.id)).toEqual([second.id]);

    const accepted = await cli(['delete', MISSING, other, '--missing-ok', ...flags], { env: account.env });
    expect(accepted.code).toBe(0);
    expect(parseJson(accepted)).toMatchObject({ deleted: [other], notFound: [MISSING] });
    expect(accepted.stderr).toContain(`✓ deleted 1 of 2 VMs; 1 not found`);
    expect(accepted.stderr).not.toContain('sam-provider:');
    expect(emulator.servers()).toEqual([]);
  });

  it('a "no" on the terminal changes nothing', async () => {
    account = await startScalewayAccount();
    const result = await cli(
      ['create', '--name', 'agent-6', '--size', 'small', '--location', 'fr-par-1', ...account.flags],
      {
        env: account.env,
        typed: 'no\n',
      },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Target: your Scaleway account, project [0-9a-f-]{36} \(http:\/\/127\.0\.0\.1:\d+\)\nCreate VM "agent-6" \(DEV1-M, fr-par-1, about €0\.0202\/hour\)\? \[y\/N\] /m,
    );
    expect(result.stderr).toContain('Cancelled: nothing was changed');
    expect(account.emulator.servers()).toEqual([]);
  });

  it('create, list, power-off, power-on and delete with --yes act on the account', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    const options = { env: account.env };
    const flags = ['--yes', '--json', ...account.flags];

    const created = await cli(
      [
        'create',
        '--name',
        'agent-7',
        '--size',
        'small',
        '--location',
        'nl-ams-1',
        '--label',
        'team=a',
        '--wait',
        ...flags,
      ],
      options,
    );
    expect(created.code).toBe(0);
    const vm = parseJson(created) as VMJson;
    expect(vm).toMatchObject({ status: 'running', location: 'nl-ams-1' });
    await cli(
      [
        'create',
        '--name',
        'agent-8',
        '--size',
        'small',
        '--location',
        'fr-par-1',
        '--label',
        'team=b',
        ...flags,
      ],
      options,
    );
    expect(emulator.servers()).toHaveLength(2);

    const listed = await cli(['list', '--label', 'team=a', ...flags], options);
    expect((parseJson(listed) as VMJson[]).map((item) => item.id)).toEqual([vm.id]);

    const off = await cli(['power-off', vm.id, '--wait', ...flags], options);
    expect(off.code).toBe(0);
    expect(parseJson(off)).toMatchObject({ id: vm.id, status: 'off' });
    const on = await cli(['power-on', vm.id, '--wait', ...flags], options);
    expect(parseJson(on)).toMatchObject({ id: vm.id, status: 'running' });

    const all = parseJson(await cli(['list', ...flags], options)) as VMJson[];
    const deleted = await cli(['delete', ...all.map((item) => item.id), '--wait', ...flags], options);
    expect(deleted.code).toBe(0);
    expect(parseJson(deleted)).toEqual({
      results: all.map((item) => ({ id: item.id, outcome: 'deleted' })),
      deleted: all.map((item) => item.id),
      notFound: [],
      failed: [],
    });
    expect(deleted.stderr).toContain('✓ deleted 2 VMs');
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('--verbose logs each request without the secret key or the user data', async () => {
    account = await startScalewayAccount();
    const marker = 'USER-DATA-MARKER-4f9c2e';
    const file = join(tmpdir(), `sam-provider-user-data-${process.pid}.yaml`);
    await writeFile(file, `#cloud-config\nwrite_files:\n  - path: /etc/token\n    content: ${marker}\n`);

    const result = await cli(
      [
        'create',
        '--name',
        'agent-9',
        '--size',
        'small',
        '--location',
        'fr-par-1',
        '--user-data',
        file,
        '--wait',
        '--verbose',
        '--yes',
        '--json',
        ...account.flags,
      ],
      { env: account.env },
    );

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^http POST http:\/\/127\.0\.0\.1:\d+\/instance\/v1\/zones\/fr-par-1\/servers 201 \d+ ms$/m,
    );
    expect(result.stderr).toMatch(/^http PATCH .*\/user_data\/cloud-init 204 \d+ ms$/m);
    // Each request with its headers and body, as the provider redacted them.
    expect(result.stderr).toMatch(
      /^http > POST http:\/\/127\.0\.0\.1:\d+\/instance\/v1\/zones\/fr-par-1\/servers$/m,
    );
    expect(result.stderr).toMatch(/^http > {3}X-Auth-Token: \[REDACTED\]$/m);
    expect(result.stderr).toMatch(/^http > {3}Content-Type: application\/json$/m);
    expect(result.stderr).toMatch(/^http > {3}body: \{"name":"agent-9","commercial_type":"DEV1-M",/m);
    expect(result.stderr).toMatch(/^http > {3}body: \[REDACTED\] \(\d+ characters\)$/m);
    const everything = result.stdout + result.stderr;
    expect(everything).not.toContain(ACCOUNT_SECRET_KEY);
    expect(everything).not.toContain(marker);
    // The user data did reach the API.
    const [server] = account.emulator.servers();
    expect(server?.userData.get('cloud-init')).toContain(marker);
  });

  it('--verbose on a failing create keeps secrets out of the log and the error', async () => {
    account = await startScalewayAccount();
    const secretKey = '0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c';
    const result = await cli(
      [
        'create',
        '--name',
        'agent-10',
        '--size',
        'small',
        '--location',
        'fr-par-1',
        '--secret-key',
        secretKey,
        '--verbose',
        '--yes',
        ...account.flags,
      ],
      {
        env: account.env,
      },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^http GET .* 401 \d+ ms$/m);
    expect(result.stderr).not.toContain(secretKey);
  });
  it('delete of several VMs shows one progress display and reports each failure with its category', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    const options = { env: account.env };
    const flags = ['--yes', ...account.flags];
    const ids: string[] = [];
    for (const name of ['agent-12', 'agent-13']) {
      const created = await cli(
        ['create', '--name', name, '--size', 'small', '--location', 'fr-par-1', '--json', ...flags],
        options,
      );
      ids.push((parseJson(created) as VMJson).id);
    }
    const [kept, removed] = ids as [string, string];
    emulator.injectFault({
      method: 'POST',
      path: new RegExp(`${kept.split('/')[1]}/action$`),
      status: 403,
      body: { type: 'permission_denied', message: 'action forbidden' },
    });
    const missing = 'fr-par-1/0b6f8e8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c';

    const result = await cli(['delete', kept, removed, missing, '--wait', ...flags], options);

    expect(result.code).toBe(1);
    // One display: one final line for the whole command, not one per VM.
    expect(lines(result.stderr).filter((line) => /^[✓✗] /.test(line))).toEqual([
      '✗ deleted 1 of 3 VMs; 1 not found; 1 failed',
    ]);
    expect(result.stderr).toMatch(new RegExp(`^ {2}${removed} {2}deleted$`, 'm'));
    expect(result.stderr).toMatch(new RegExp(`^ {2}${missing} {2}not found$`, 'm'));
    expect(result.stderr).toMatch(
      new RegExp(`^sam-provider: permission: ${kept}: .*check their permissions`, 'm'),
    );
    expect(result.stderr).toMatch(
      new RegExp(`^sam-provider: not_found: ${missing}: VM not found, nothing deleted`, 'm'),
    );
    expect(result.stdout).toBe(`✓ deleted ${removed}\n`);
    expect(emulator.servers().map((server) => `${server.zone}/${server.id}`)).toEqual([kept]);
  });

  it('a create whose cleanup fails warns, even with --quiet, naming the server left behind', async () => {
    account = await startScalewayAccount();
    const { emulator } = account;
    const forbidden = { status: 403, body: { type: 'permission_denied', message: 'action forbidden' } };
    emulator.injectFault({ method: 'PATCH', path: /\/user_data\/cloud-init$/, ...forbidden });
    emulator.injectFault({ method: 'DELETE', path: /\/servers\/[^/]+$/, ...forbidden });

    const result = await cli(
      [
        'create',
        '--name',
        'agent-14',
        '--size',
        'small',
        '--location',
        'fr-par-1',
        '--yes',
        '--quiet',
        ...account.flags,
      ],
      { env: account.env },
    );

    expect(result.code).toBe(1);
    const [server] = emulator.servers();
    const id = `${server?.zone}/${server?.id}`;
    expect(result.stderr).toContain(`warning: could not remove server ${id} after a failure (permission: `);
    expect(result.stderr).toContain(`remove it with \`sam-provider delete ${id}\``);
    expect(result.stderr).toMatch(
      /^sam-provider: permission: .*; cleaning up also failed, something may be left behind: permission: /m,
    );
  });

  it('an interrupted create --wait says the VM it created is still there', async () => {
    account = await startScalewayAccount();
    const result = await cli(
      [
        'create',
        '--name',
        'agent-15',
        '--size',
        'small',
        '--location',
        'fr-par-1',
        '--wait',
        '--yes',
        ...account.flags,
      ],
      { env: account.env, interruptWhen: /✓ created/ },
    );

    expect(result.code).toBe(130);
    const [server] = account.emulator.servers();
    expect(result.stderr).toContain(
      `warning: agent-15 (${server?.zone}/${server?.id}) was created and keeps running; remove it with`,
    );
    expect(result.stderr).toMatch(/^sam-provider: interrupted$/m);
  });
});

describe('colours', () => {
  it('are used on a terminal', async () => {
    const result = await cli(['get', MISSING], { terminal: 'bare' });

    expect(result.stderr).toContain('\u001b[31msam-provider:');
  });

  it('are never used with NO_COLOR, even on a terminal', async () => {
    const result = await cli(['get', MISSING], { terminal: 'bare', env: { NO_COLOR: '1' } });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sam-provider: not_found');
    expect(result.stderr).not.toContain('\u001b[');
  });

  it('are forced by FORCE_COLOR off a terminal', async () => {
    const listed = await cli(['sizes'], { env: { FORCE_COLOR: '1' } });
    expect(listed.stdout).toContain('\u001b[1mSIZE');

    const failed = await cli(['get', MISSING], { env: { FORCE_COLOR: '1' } });
    expect(failed.stderr).toContain('\u001b[31msam-provider:');
  });
});
