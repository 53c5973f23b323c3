import { afterEach, describe, expect, it } from 'vitest';
import {
  cli,
  type HetznerAccount,
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

/** A Scaleway account holding a marked boot volume of a deleted VM, a data volume and a live VM. */
async function scalewayWithLeftover() {
  const scaleway = await startScalewayAccount();
  account = scaleway;
  const { emulator } = scaleway;
  const orphan = emulator.seedBlockVolume({
    zone: 'fr-par-1',
    name: 'root',
    tags: ['sam-owned', 'sam-vm:0f0e0d0c-0b0a-4908-8706-050403020100', 'run=7'],
  });
  const data = emulator.seedBlockVolume({ zone: 'fr-par-1', name: 'data', tags: ['run=7'] });
  emulator.seedServer({ zone: 'fr-par-1', state: 'running', tags: ['run=7'] });
  return { scaleway, orphan, data };
}

describe('sam-provider leftovers', () => {
  it('lists the marked boot volume of a deleted VM, never the data volume, and exits 0 without deleting', async () => {
    const { scaleway, orphan } = await scalewayWithLeftover();
    const result = await cli(['leftovers', '--label', 'run=7', ...scaleway.flags], { env: scaleway.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`fr-par-1/${orphan.id}`);
    expect(result.stdout).toContain('of deleted VM fr-par-1/0f0e0d0c-0b0a-4908-8706-050403020100');
    expect(result.stdout).not.toContain('data');
    expect(result.stdout).toContain(
      '1 leftover, still billed: `sam-provider leftovers --label run=7 --delete`',
    );
    expect(scaleway.emulator.requestCount({ method: 'DELETE' })).toBe(0);

    const json = parseJson(await cli(['leftovers', '--json', ...scaleway.flags], { env: scaleway.env })) as {
      leftovers: Array<{ id: string; kind: string; type: string }>;
    };
    expect(json.leftovers).toEqual([
      expect.objectContaining({ id: `fr-par-1/${orphan.id}`, kind: 'volume', type: 'sbs_volume' }),
    ]);
  });

  it('--delete asks on a real account (refused without --yes), then deletes with --yes', async () => {
    const { scaleway, orphan, data } = await scalewayWithLeftover();
    const refused = await cli(['leftovers', '--delete', ...scaleway.flags], { env: scaleway.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to delete leftovers');
    expect(scaleway.emulator.getVolume(orphan.id)).toBeDefined();

    const deleted = await cli(['leftovers', '--delete', '--yes', '--json', ...scaleway.flags], {
      env: scaleway.env,
    });
    expect(deleted.code).toBe(0);
    expect(parseJson(deleted)).toMatchObject({ deleted: [`fr-par-1/${orphan.id}`] });
    expect(scaleway.emulator.getVolume(orphan.id)).toBeUndefined();
    expect(scaleway.emulator.getVolume(data.id)).toBeDefined();

    const again = await cli(['leftovers', ...scaleway.flags], { env: scaleway.env });
    expect(again.stdout.trim()).toBe('No leftovers.');
  });

  it('exits 1 naming what it could not delete, and says in --json which ones went', async () => {
    const { scaleway, orphan } = await scalewayWithLeftover();
    const second = scaleway.emulator.seedBlockVolume({
      zone: 'fr-par-1',
      tags: ['sam-owned', 'sam-vm:1f0e0d0c-0b0a-4908-8706-050403020100', 'run=7'],
    });
    scaleway.emulator.injectFault({
      method: 'DELETE',
      path: `/block/v1/zones/fr-par-1/volumes/${orphan.id}`,
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    const result = await cli(['leftovers', '--delete', '--yes', '--json', ...scaleway.flags], {
      env: scaleway.env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`left: fr-par-1/${orphan.id}`);
    expect(parseJson(result)).toMatchObject({ deleted: [`fr-par-1/${second.id}`] });
  });

  it('--delete deletes only what it showed: a leftover that appears after the list is left alone', async () => {
    const { scaleway, orphan } = await scalewayWithLeftover();
    let late: string | undefined;
    const result = await cli(['leftovers', '--delete', ...scaleway.flags], {
      env: scaleway.env,
      typed: 'y\n',
      onStderr: (text) => {
        if (late === undefined && text.includes('Delete 1 leftover')) {
          late = scaleway.emulator.seedBlockVolume({ zone: 'fr-par-1', tags: ['sam-owned', 'run=7'] }).id;
        }
      },
    });
    expect(result.code).toBe(0);
    expect(scaleway.emulator.getVolume(orphan.id)).toBeUndefined();
    expect(late).toBeDefined();
    expect(scaleway.emulator.getVolume(late as string)).toBeDefined();
  });

  it('finds an unassigned marked IP on Hetzner, never an unmarked one', async () => {
    const hetzner = await startHetznerAccount();
    account = hetzner;
    const ip = hetzner.emulator.seedIp({ labels: { 'sam-owned': 'true', run: '7' } });
    hetzner.emulator.seedIp({ labels: { run: '7' } });
    const result = await cli(['leftovers', '--label', 'run=7', '--json', ...hetzner.flags], {
      env: hetzner.env,
    });
    expect(result.code).toBe(0);
    expect(parseJson(result)).toMatchObject({ leftovers: [{ id: String(ip.id), type: 'primary_ip' }] });
  });

  it('refuses a bad label as a usage error (exit 2), and a repeated key', async () => {
    const bad = await cli(['leftovers', '--label', 'no-equals-sign']);
    expect(bad.code).toBe(2);
    const twice = await cli(['leftovers', '--label', 'k=1', '--label', 'k=2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--label');
  });

  it('on the embedded emulator there is nothing to find', async () => {
    const result = await cli(['leftovers']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('No leftovers.');
  });
});
