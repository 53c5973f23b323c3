import { beforeEach, describe, expect, it } from 'vitest';
import { ScalewayEmulator } from '../src/scaleway/emulator.js';
import { SCALEWAY_TRANSITION_DELAYS } from '../src/scaleway/servers.js';
import { action, createServer, FR_PAR_1, type Send, scalewayClient } from './scaleway-helpers.js';

type State = 'running' | 'stopped' | 'stopped in place' | 'starting' | 'stopping' | 'locked';

/** docs/scaleway-api.md §5.2, written out independently of the emulator's table. */
const ALLOWED: Record<State, string[]> = {
  stopped: ['poweron', 'backup'],
  starting: ['stop_in_place', 'backup'],
  running: ['poweroff', 'terminate', 'reboot', 'stop_in_place', 'backup'],
  stopping: ['stop_in_place', 'backup'],
  'stopped in place': ['poweron', 'poweroff', 'terminate', 'reboot', 'backup'],
  locked: [],
};

/** §5.3: the state and `state_detail` an accepted action enters at once. */
const ENTERS: Record<string, [State, string]> = {
  poweron: ['starting', 'allocating node'],
  poweroff: ['stopping', 'stopping'],
  stop_in_place: ['stopping', 'stopping in place'],
  reboot: ['stopping', 'rebooting'],
  terminate: ['stopping', 'terminating'],
};

const STATES = Object.keys(ALLOWED) as State[];
const ACTIONS = ['poweron', 'poweroff', 'stop_in_place', 'reboot', 'terminate'];

let emulator: ScalewayEmulator;
let send: Send;

beforeEach(() => {
  emulator = new ScalewayEmulator({ clock: { mode: 'manual' } });
  send = scalewayClient(emulator);
});

const getServer = async (id: string) => (await send('GET', `${FR_PAR_1}/servers/${id}`)).body.server;

describe('allowed_actions (§5.2)', () => {
  it.each(STATES)('a %s server lists the recorded allowed_actions', async (state) => {
    const server = emulator.seedServer({ state });
    expect((await getServer(server.id)).allowed_actions).toEqual(ALLOWED[state]);
    const listed = await send('GET', `${FR_PAR_1}/servers/${server.id}/action`);
    expect(listed.body).toEqual({ actions: ALLOWED[state] });
  });

  const pairs = STATES.flatMap((state) => ACTIONS.map((name) => [state, name] as const));
  it.each(pairs)('%s + %s', async (state, name) => {
    const server = emulator.seedServer({ state });
    const response = await action(send, server.id, name);
    if (ALLOWED[state].includes(name)) {
      expect(response.status).toBe(202);
      expect(response.body.task).toMatchObject({ status: 'pending', href_result: `/servers/${server.id}` });
      const [enteredState, enteredDetail] = ENTERS[name] ?? [];
      const detail = name === 'poweron' && state === 'stopped in place' ? 'stopped in place' : enteredDetail;
      expect(await getServer(server.id)).toMatchObject({ state: enteredState, state_detail: detail });
      return;
    }
    if (state === 'locked') {
      expect(response.status).toBe(423);
      expect(response.body).toEqual({ type: 'locked', resource: 'instance_server', resource_id: server.id });
    } else if (state === 'starting' || state === 'stopping') {
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ type: 'transient_state', current_state: state });
    } else {
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        type: 'invalid_request_error',
        message: name === 'poweron' ? 'server should be stopped' : 'server should be running',
      });
    }
    expect(await getServer(server.id)).toMatchObject({ state });
  });

  it('answers terminate on a stopped server with the recorded body (§5.5)', async () => {
    const server = emulator.seedServer({ state: 'stopped' });
    const response = await action(send, server.id, 'terminate');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: 'server should be running', type: 'invalid_request_error' });
  });

  it('answers 202 with the 2026 placeholder task and no Location (§5.4)', async () => {
    const server = emulator.seedServer({ state: 'stopped' });
    const response = await action(send, server.id, 'poweron');
    expect(response.headers.get('location')).toBeNull();
    expect(response.body.task).toMatchObject({
      id: '00000000-0000-0000-0000-000000000000',
      description: 'fake task',
      status: 'pending',
      href_from: `/servers/${server.id}/action`,
      terminated_at: null,
      progress: 0,
      zone: 'fr-par-1',
    });
  });

  it('refuses unknown and not emulated actions', async () => {
    const server = emulator.seedServer({ state: 'running' });
    const unknown = await action(send, server.id, 'explode');
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].argument_name).toBe('action');
    expect((await action(send, server.id, 'backup')).body.type).toBe('invalid_request_error');
  });
});

describe('transitions (§5.3) on the manual clock', () => {
  it('powers on through allocating and provisioning node to running, allocating the dynamic IP on boot', async () => {
    const id = (await createServer(send, emulator)).body.server.id as string;
    await action(send, id, 'poweron');
    expect(await getServer(id)).toMatchObject({
      state: 'starting',
      state_detail: 'allocating node',
      location: null,
    });
    emulator.clock.advance(SCALEWAY_TRANSITION_DELAYS.allocateNode);
    const provisioning = await getServer(id);
    expect(provisioning).toMatchObject({
      state: 'starting',
      state_detail: 'provisioning node',
      public_ips: [],
    });
    expect(provisioning.location).toMatchObject({ zone_id: 'par1' });
    emulator.clock.advance(SCALEWAY_TRANSITION_DELAYS.provisionNode);
    const booting = await getServer(id);
    expect(booting).toMatchObject({ state: 'running', state_detail: 'booting kernel' });
    expect(booting.allowed_actions).toEqual(ALLOWED.running);
    // §3 ServerIP, recorded dynamic example: pending at `booting kernel`.
    expect(booting.public_ips).toEqual([
      {
        id: expect.any(String),
        address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
        dynamic: true,
        gateway: '62.210.0.1',
        netmask: '32',
        family: 'inet',
        provisioning_mode: 'dhcp',
        tags: [],
        state: 'pending',
        ipam_id: expect.any(String),
      },
    ]);
    expect(booting.public_ip).toEqual(booting.public_ips[0]);
    emulator.clock.settle();
    const booted = await getServer(id);
    expect(booted).toMatchObject({ state: 'running', state_detail: 'booted' });
    expect(booted.public_ips[0].state).toBe('attached');
  });

  it('powers off through stopping, releasing the dynamic IP and the node (§4.2)', async () => {
    const server = emulator.seedServer({ state: 'running' });
    expect((await getServer(server.id)).public_ips).toHaveLength(1);
    await action(send, server.id, 'poweroff');
    expect(await getServer(server.id)).toMatchObject({ state: 'stopping', state_detail: 'stopping' });
    emulator.clock.settle();
    expect(await getServer(server.id)).toMatchObject({
      state: 'stopped',
      state_detail: '',
      public_ip: null,
      public_ips: [],
      location: null,
      allowed_actions: ['poweron', 'backup'],
    });
    expect(emulator.leftovers().ips).toEqual([]);
  });

  it('allocates a new dynamic IP at each boot', async () => {
    const server = emulator.seedServer({ state: 'stopped' });
    await action(send, server.id, 'poweron');
    emulator.clock.settle();
    const first = (await getServer(server.id)).public_ips[0];
    await action(send, server.id, 'poweroff');
    emulator.clock.settle();
    await action(send, server.id, 'poweron');
    emulator.clock.settle();
    const second = (await getServer(server.id)).public_ips[0];
    expect(second.dynamic).toBe(true);
    expect(second.id).not.toBe(first.id);
  });

  it('allocates no dynamic IP without dynamic_ip_required or with a flexible IP', async () => {
    const bare = (await createServer(send, emulator, { dynamic_ip_required: false })).body.server;
    expect(bare.dynamic_ip_required).toBe(false);
    const flexible = emulator.seedFlexibleIp();
    const withFlexible = (await createServer(send, emulator, { public_ips: [flexible.id] })).body.server;
    for (const id of [bare.id, withFlexible.id]) {
      await action(send, id, 'poweron');
      emulator.clock.settle();
    }
    expect((await getServer(bare.id)).public_ips).toEqual([]);
    expect((await getServer(withFlexible.id)).public_ips).toEqual([
      expect.objectContaining({ id: flexible.id, dynamic: false }),
    ]);
  });

  it('stops in place, then powers on from there', async () => {
    const server = emulator.seedServer({ state: 'running' });
    await action(send, server.id, 'stop_in_place');
    expect(await getServer(server.id)).toMatchObject({
      state: 'stopping',
      state_detail: 'stopping in place',
    });
    emulator.clock.settle();
    const standby = await getServer(server.id);
    expect(standby).toMatchObject({
      state: 'stopped in place',
      state_detail: 'stopped in place',
      public_ips: [],
    });
    expect(standby.location).not.toBeNull();
    await action(send, server.id, 'poweron');
    expect(await getServer(server.id)).toMatchObject({ state: 'starting', state_detail: 'stopped in place' });
    emulator.clock.settle();
    expect(await getServer(server.id)).toMatchObject({ state: 'running' });
  });

  it('reboots through stopping and starting with the rebooting detail', async () => {
    const server = emulator.seedServer({ state: 'running' });
    await action(send, server.id, 'reboot');
    expect(await getServer(server.id)).toMatchObject({ state: 'stopping', state_detail: 'rebooting' });
    emulator.clock.advance(SCALEWAY_TRANSITION_DELAYS.rebootStop);
    expect(await getServer(server.id)).toMatchObject({ state: 'starting', state_detail: 'rebooting' });
    emulator.clock.settle();
    expect(await getServer(server.id)).toMatchObject({ state: 'running', state_detail: 'booted' });
  });

  it('terminates through stopping/terminating, then the server is gone', async () => {
    const server = emulator.seedServer({ state: 'running' });
    await action(send, server.id, 'terminate');
    expect(await getServer(server.id)).toMatchObject({ state: 'stopping', state_detail: 'terminating' });
    expect(emulator.clock.settle()).toBe(1);
    expect((await send('GET', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(404);
  });

  it('lets stop_in_place during starting supersede the pending boot steps', async () => {
    const server = emulator.seedServer({ state: 'stopped' });
    await action(send, server.id, 'poweron');
    expect((await action(send, server.id, 'stop_in_place')).status).toBe(202);
    emulator.clock.settle();
    expect(await getServer(server.id)).toMatchObject({ state: 'stopped in place', public_ips: [] });
  });

  it('settles seeded transient states through the clock', async () => {
    const starting = emulator.seedServer({ state: 'starting' });
    const stopping = emulator.seedServer({ state: 'stopping' });
    expect(await getServer(starting.id)).toMatchObject({
      state: 'starting',
      state_detail: 'provisioning node',
    });
    emulator.clock.settle();
    expect(await getServer(starting.id)).toMatchObject({ state: 'running', state_detail: 'booted' });
    expect(await getServer(stopping.id)).toMatchObject({ state: 'stopped', public_ips: [] });
  });

  it('completes transitions at once on the instant clock', async () => {
    const instant = new ScalewayEmulator();
    const instantSend = scalewayClient(instant);
    const id = (await createServer(instantSend, instant)).body.server.id as string;
    await action(instantSend, id, 'poweron');
    expect(instant.getServer('fr-par-1', id)).toMatchObject({ state: 'running', stateDetail: 'booted' });
  });

  it('answers poweron in a shortage with out_of_stock and leaves the server stopped', async () => {
    const server = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-S' });
    emulator.setAvailability('fr-par-1', 'DEV1-S', 'shortage');
    const response = await action(send, server.id, 'poweron');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      type: 'out_of_stock',
      message: 'resource is out of stock',
      resource: 'DEV1-S',
    });
    expect(await getServer(server.id)).toMatchObject({ state: 'stopped' });
    const availability = await send('GET', `${FR_PAR_1}/products/servers/availability`);
    expect(availability.body.servers['DEV1-S']).toEqual({ availability: 'shortage' });
  });
});
