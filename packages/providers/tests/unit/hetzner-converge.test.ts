import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HetznerProvider, hasLeftoverSweep, type ProviderError } from '../../src/index.js';
import { failureOf } from '../failure-of.js';

/**
 * Hetzner deletes that converge and the leftovers sweep (docs/hetzner-api.md "Servers", "IPs"): a server delete whose
 * answers are lost is finished by calling it again; what can outlive a server is an IP assigned to it, which the
 * sweep finds by its labels when unassigned.
 */

const emulator = new HetznerEmulator();
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
});

/** The mark a control plane puts on the IPs it makes for its VMs. */
const MARK = { 'sam-owned': 'true' };
const provider = () =>
  new HetznerProvider({
    token: HETZNER_EMULATOR_TOKEN,
    timeoutMs: 60,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
const remaining = () => {
  emulator.clock.settle();
  const { servers, volumes, ips } = emulator.leftovers();
  return { servers: servers.length, volumes: volumes.length, ips: ips.length };
};

describe('deleteVM converges on Hetzner', () => {
  it.each([
    ['dropped after the API acted', { drop: true, phase: 'after' as const }],
    ['answered 503 after the API acted', { status: 503, phase: 'after' as const }],
    ['timed out after the API acted', { delayMs: 200, phase: 'after' as const }],
  ])(
    'a DELETE %s on every attempt rejects retryable; the retry resolves, data volume kept',
    async (_, fault) => {
      const vm = emulator.seedServer({ name: 'agent-1', status: 'running' });
      const data = emulator.seedVolume({ name: 'data', server: vm.id });
      const handle = emulator.injectFault({ method: 'DELETE', path: /^\/v1\/servers\/\d+$/, ...fault });
      const failure = await failureOf(provider().deleteVM(String(vm.id)));
      expect(failure.retryable).toBe(true);
      handle.remove();
      await provider().deleteVM(String(vm.id));
      expect(emulator.server(vm.id)).toBeUndefined();
      expect(emulator.volume(data.id)).toMatchObject({ server: null });
      expect(remaining()).toEqual({ servers: 0, volumes: 1, ips: 0 });
    },
  );

  it('a DELETE refused before the API acted (repeated 503) leaves the server, and the retry deletes it', async () => {
    const vm = emulator.seedServer({ status: 'off' });
    const handle = emulator.injectFault({ method: 'DELETE', status: 503 });
    expect(await failureOf(provider().deleteVM(String(vm.id)))).toMatchObject({ retryable: true });
    expect(emulator.server(vm.id)).toBeDefined();
    handle.remove();
    await provider().deleteVM(String(vm.id));
    expect(remaining()).toEqual({ servers: 0, volumes: 0, ips: 0 });
  });
});

describe('createVM on Hetzner: nothing untracked whichever answer is lost', () => {
  it.each([
    ['refused before the API acted (503)', { status: 503 }],
    ['carried out, its answer dropped on every attempt', { drop: true, phase: 'after' as const }],
    ['carried out, its answer a 502 on every attempt', { status: 502, phase: 'after' as const }],
  ])('a POST %s: rejects with nothing made, or resolves with the one server it made', async (_, fault) => {
    const handle = emulator.injectFault({ method: 'POST', path: '/v1/servers', ...fault });
    const outcome = await provider()
      .createVM({ name: 'agent-2', size: 'small', location: 'fsn1', userData: '#cloud-config\n' })
      .then(
        (vm) => ({ vm }),
        (error: ProviderError) => ({ error }),
      );
    handle.remove();
    if ('vm' in outcome) {
      expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([outcome.vm.id]);
      await provider().deleteVM(outcome.vm.id);
    } else {
      expect(outcome.error.retryable).toBe(true);
    }
    expect(remaining()).toEqual({ servers: 0, volumes: 0, ips: 0 });
  });
});

describe('findLeftovers / deleteLeftovers on Hetzner', () => {
  it('finds unassigned Primary and Floating IPs carrying the labels; never an assigned one, a server’s own or a volume', async () => {
    const vm = emulator.seedServer({ name: 'agent-1', labels: { run: 'r1' } });
    const primary = emulator.seedIp({ labels: { ...MARK, run: 'r1' }, location: 'nbg1' });
    const floating = emulator.seedIp({ kind: 'floating', labels: { ...MARK, run: 'r1', team: 'a' } });
    emulator.seedIp({ labels: { ...MARK, run: 'r1' }, assignee: vm.id });
    emulator.seedIp({ labels: { ...MARK, run: 'other' } });
    // Labelled like the run but not marked: kept on purpose (a reserved failover IP), never a leftover.
    emulator.seedIp({ kind: 'floating', name: 'reserved-failover', labels: { run: 'r1' } });
    emulator.seedVolume({ name: 'data', labels: { run: 'r1' } });
    const sweep = provider();
    expect(hasLeftoverSweep(sweep)).toBe(true);
    const found = await sweep.findLeftovers({ run: 'r1' });
    expect(emulator.requests.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
      'GET /v1/floating_ips',
      'GET /v1/primary_ips',
    ]);
    expect(emulator.requests[0]?.query).toMatchObject({ label_selector: 'sam-owned,run=r1' });
    expect(found.map((leftover) => [leftover.type, leftover.id]).sort()).toEqual(
      [
        ['floating_ip', String(floating.id)],
        ['primary_ip', String(primary.id)],
      ].sort(),
    );
    expect(found.find((leftover) => leftover.type === 'primary_ip')).toMatchObject({
      kind: 'ip',
      location: 'nbg1',
      labels: { ...MARK, run: 'r1' },
      description: expect.stringContaining('unassigned Primary IP'),
    });
    expect((await sweep.findLeftovers({ run: 'r1', team: 'a' })).map((leftover) => leftover.id)).toEqual([
      String(floating.id),
    ]);
  });

  it('without labels, every IP carrying the mark sam-owned, and no other', async () => {
    const marked = emulator.seedIp({ labels: MARK });
    emulator.seedIp({ labels: { run: 'r1' } });
    expect((await provider().findLeftovers()).map((leftover) => leftover.id)).toEqual([String(marked.id)]);
  });

  it('an IP that outlived its server is found once the server is deleted, and deleteLeftovers removes it', async () => {
    const vm = emulator.seedServer({ name: 'agent-1', labels: { run: 'r2' } });
    const kept = emulator.seedIp({ labels: { ...MARK, run: 'r2' }, assignee: vm.id, autoDelete: false });
    const auto = emulator.seedIp({ labels: { ...MARK, run: 'r2' }, assignee: vm.id, autoDelete: true });
    expect(await provider().findLeftovers({ run: 'r2' })).toEqual([]);
    await provider().deleteVM(String(vm.id));
    const deleted = await provider().deleteLeftovers({ run: 'r2' });
    expect(deleted.map((leftover) => leftover.id)).toEqual([String(kept.id)]);
    expect(emulator.leftovers().ips.map((ip) => ip.id)).not.toContain(String(auto.id));
    expect(remaining()).toEqual({ servers: 0, volumes: 0, ips: 0 });
  });

  it('rejects naming what it could not delete; a later sweep finishes', async () => {
    const ip = emulator.seedIp({ labels: { ...MARK, run: 'r3' } });
    const handle = emulator.injectFault({ method: 'DELETE', path: /primary_ips/, status: 503 });
    const failure = await failureOf(provider().deleteLeftovers({ run: 'r3' }));
    expect(failure).toMatchObject({ category: 'unavailable', retryable: true });
    expect(failure.message).toContain(`${ip.id} (unassigned Primary IP`);
    handle.remove();
    expect(await provider().deleteLeftovers({ run: 'r3' })).toHaveLength(1);
    expect(remaining()).toEqual({ servers: 0, volumes: 0, ips: 0 });
  });

  it('refuses bad labels before any request', async () => {
    expect(await failureOf(provider().findLeftovers({ '-bad': 'x' }))).toMatchObject({
      category: 'invalid_input',
    });
    expect(emulator.requestCount()).toBe(0);
  });
});
