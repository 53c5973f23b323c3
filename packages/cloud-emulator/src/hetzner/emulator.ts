import { type Context, Hono } from 'hono';
import { EmulatorBase, type EmulatorOptions, type InventoryItem } from '../core/emulator.js';
import { actionJson, type HetznerActionRecord, HetznerActions, registerActionRoutes } from './actions.js';
import {
  HETZNER_CAPACITY_ERRORS,
  type HetznerCapacityFailureHandle,
  type HetznerCapacityFailureRule,
  HetznerCapacityPlan,
} from './capacity.js';
import { findHetznerImage, SERVER_TYPES } from './catalog.js';
import { HetznerApiError, type HetznerErrorDefinition, serverNotFound } from './errors.js';
import { type HetznerIpRecord, HetznerIps } from './ips.js';
import { paginate, pathId } from './listing.js';
import type { HetznerFailureHandle } from './rules.js';
import { type HetznerServerRecord, serverJson } from './servers.js';
import { labelSelector, validateCreate } from './validation.js';
import { registerVolumeRoutes } from './volume-routes.js';
import {
  type HetznerVolumeActionFailureRule,
  type HetznerVolumeDelays,
  type HetznerVolumeRecord,
  type HetznerVolumeSpaceFailureRule,
  HetznerVolumes,
} from './volumes.js';

/** Defaults of the Hetzner emulator. */
export const HETZNER_EMULATOR_TOKEN = 'emulator-token-0000000000000000000000000000000000000000000000000000';

/** Transition delays in emulated milliseconds (realistic; tests use an instant or manual clock). */
const DELAYS = { boot: 1_500, start: 1_000, stop: 800 } as const;

export interface HetznerEmulatorOptions extends EmulatorOptions {
  /** The API token the emulator accepts. Default {@link HETZNER_EMULATOR_TOKEN}. */
  token?: string;
  /** Most servers the project may hold; further creates get `resource_limit_exceeded`. Default 10 000. */
  serverLimit?: number;
  /** Most volumes the project may hold; further creates get `resource_limit_exceeded`. Default 10 000. */
  volumeLimit?: number;
  /** How long volume actions run, in emulated ms. Default {@link HETZNER_VOLUME_DELAYS}. */
  volumeDelays?: Partial<HetznerVolumeDelays>;
}

export type { HetznerServerRecord } from './servers.js';

type Json = Record<string, unknown>;

/** One step of a server transition: after `delay`, `status`, and the `actions` it completes end. */
interface TransitionStep {
  delay: number;
  status: HetznerServerRecord['status'];
  actions?: HetznerActionRecord[];
}

/** A stateful fake of the Hetzner Cloud API v1: servers, power actions, volumes and action polling. */
export class HetznerEmulator extends EmulatorBase {
  readonly token: string;
  readonly #serverLimit: number;
  readonly #servers = new Map<number, HetznerServerRecord>();
  readonly #capacity = new HetznerCapacityPlan();
  readonly #actions = new HetznerActions();
  readonly #volumes: HetznerVolumes;
  readonly #ips = new HetznerIps(() => this.#servers.values());
  #nextId = 1_000_001;
  readonly #app: Hono;

  constructor(options: HetznerEmulatorOptions = {}) {
    super(
      {
        name: 'hetzner',
        defaultBaseUrl: 'https://api.hetzner.cloud/v1',
        pathPrefixes: ['/v1/'],
        secretHeaders: ['authorization'],
      },
      options,
    );
    this.token = options.token ?? HETZNER_EMULATOR_TOKEN;
    this.#serverLimit = options.serverLimit ?? 10_000;
    this.#volumes = new HetznerVolumes(
      { clock: this.clock, actions: this.#actions, server: (id) => this.#servers.get(id) },
      options.volumeLimit ?? 10_000,
      options.volumeDelays,
    );
    this.#app = this.#routes();
  }

  protected route(request: Request): Promise<Response> {
    return Promise.resolve(this.#app.fetch(request));
  }

  /** The stored server, for assertions. */
  server(id: number | string): HetznerServerRecord | undefined {
    return this.#servers.get(Number(id));
  }

  /**
   * Make `POST /servers` fail for capacity in `rule.location` (any when absent) for `rule.serverType` (any when
   * absent), `rule.times` times (until removed when absent). The first matching rule with times left applies. A
   * failed create creates nothing. The check runs after body validation and the name-uniqueness check, before the
   * server limit. {@link reset} clears the rules.
   */
  setCapacityFailure(rule: HetznerCapacityFailureRule): HetznerCapacityFailureHandle {
    return this.#capacity.add(rule);
  }

  /** Remove every rule set by {@link setCapacityFailure}. */
  clearCapacityFailures(): void {
    this.#capacity.clear();
  }

  /** The stored volume, for assertions. */
  volume(id: number | string): HetznerVolumeRecord | undefined {
    return this.#volumes.get(Number(id));
  }

  /** The stored action (server or volume), for assertions. */
  action(id: number | string): HetznerActionRecord | undefined {
    return this.#actions.get(Number(id));
  }

  /**
   * Add a Primary IP (`kind: 'primary'`, the default) or a Floating IP without a request, assigned to `assignee`
   * (a server id) or not. A server delete unassigns it, or deletes a primary one with `autoDelete`.
   */
  seedIp(partial: Partial<Omit<HetznerIpRecord, 'id'>> = {}): HetznerIpRecord {
    if (partial.assignee !== undefined && partial.assignee !== null && !this.#servers.has(partial.assignee)) {
      throw new Error(`no server ${partial.assignee}`);
    }
    return this.#ips.seed(partial);
  }

  /** Add a volume directly, in any status, attached (`server`, which must exist) or not, without a request. */
  seedVolume(partial: Partial<Omit<HetznerVolumeRecord, 'id'>> = {}): HetznerVolumeRecord {
    return this.#volumes.seed(partial);
  }

  /**
   * Make `POST /volumes` in `rule.location` (any when absent) fail with 422 `no_space_left_in_location`, `rule.times`
   * times (until removed when absent). Checked after validation and the name check, before the volume limit.
   */
  setVolumeSpaceFailure(rule: HetznerVolumeSpaceFailureRule = {}): HetznerFailureHandle {
    return this.#volumes.addSpaceFailure(rule);
  }

  /** Remove every rule set by {@link setVolumeSpaceFailure}. */
  clearVolumeSpaceFailures(): void {
    this.#volumes.clearSpaceFailures();
  }

  /** Make matching attach / detach / resize actions end in `status: error` and change nothing. */
  setVolumeActionFailure(rule: HetznerVolumeActionFailureRule = {}): HetznerFailureHandle {
    return this.#volumes.addActionFailure(rule);
  }

  /** Remove every rule set by {@link setVolumeActionFailure}. */
  clearVolumeActionFailures(): void {
    this.#volumes.clearActionFailures();
  }

  /** Add a server directly, in any status, without a request. */
  seedServer(
    partial: Partial<Omit<HetznerServerRecord, 'id' | 'generation' | 'ipId'>> = {},
  ): HetznerServerRecord {
    const id = this.#nextId++;
    const record: HetznerServerRecord = {
      id,
      name: partial.name ?? `seeded-${id}`,
      status: partial.status ?? 'running',
      created: partial.created ?? new Date().toISOString(),
      serverType: partial.serverType ?? 'cx23',
      location: partial.location ?? 'fsn1',
      image:
        partial.image === undefined
          ? 'ubuntu-24.04'
          : (findHetznerImage(partial.image)?.name ?? partial.image),
      labels: partial.labels ?? {},
      userData: partial.userData ?? '',
      ipv4: partial.ipv4 ?? this.#allocateIp(),
      ipId: id + 500_000,
      generation: 0,
    };
    this.#servers.set(id, record);
    return record;
  }

  inventory(): InventoryItem[] {
    const items: InventoryItem[] = [];
    for (const server of this.#servers.values()) {
      items.push({
        kind: 'server',
        id: String(server.id),
        zone: server.location,
        orphaned: false,
        detail: { name: server.name, status: server.status },
      });
      // The primary IPv4 is created with the server and deleted with it (auto_delete).
      items.push({
        kind: 'ip',
        id: String(server.ipId),
        zone: server.location,
        server: String(server.id),
        orphaned: false,
        detail: { address: server.ipv4 },
      });
    }
    for (const ip of this.#ips.stored()) {
      items.push({
        kind: 'ip',
        id: String(ip.id),
        zone: ip.location,
        server: ip.assignee === null ? null : String(ip.assignee),
        orphaned: ip.assignee === null,
        detail: { address: ip.ip, type: `${ip.kind}_ip`, labels: { ...ip.labels } },
      });
    }
    for (const volume of this.#volumes.all()) {
      items.push({
        kind: 'volume',
        id: String(volume.id),
        zone: volume.location,
        server: volume.server === null ? null : String(volume.server),
        orphaned: volume.server === null,
        detail: { name: volume.name, size: volume.size, status: volume.status, labels: { ...volume.labels } },
      });
    }
    return items;
  }

  protected resetState(): void {
    this.#servers.clear();
    this.#ips.clear();
    this.#capacity.clear();
    this.#volumes.clear();
    this.#actions.clear();
  }

  #allocateIp(): string {
    const n = Math.floor(this.random() * 0xffff);
    return `203.0.${(n >> 8) & 0xff}.${n & 0xff || 1}`;
  }

  #serverJson(server: HetznerServerRecord): Json {
    return serverJson(server, this.#volumes.attachedTo(server.id));
  }

  #action(command: string, serverId: number): HetznerActionRecord {
    return this.#actions.start(command, [{ id: serverId, type: 'server' }]);
  }

  /** `{ action }` as it starts; the action then ends at once (it starts no transition). */
  #instantAction(command: string, serverId: number): Json {
    const action = this.#action(command, serverId);
    const rendered = actionJson(action);
    this.#actions.finish(action);
    return rendered;
  }

  /**
   * Run `steps` in order, each after its delay, unless a newer action superseded this one; each step ends the
   * `actions` it names (a superseded or deleted server's actions end when their step falls due).
   */
  #transition(server: HetznerServerRecord, steps: readonly TransitionStep[]): void {
    const generation = ++server.generation;
    const run = (index: number) => {
      const step = steps[index];
      if (step === undefined) return;
      this.clock.schedule(step.delay, () => {
        const current = this.#servers.get(server.id) === server && server.generation === generation;
        for (const later of current ? [step] : steps.slice(index)) {
          for (const action of later.actions ?? []) this.#actions.finish(action);
        }
        if (!current) return;
        server.status = step.status;
        run(index + 1);
      });
    };
    run(0);
  }

  #routes(): Hono {
    const app = new Hono().basePath('/v1');
    app.onError((thrown, context) => {
      if (thrown instanceof HetznerApiError) return context.json(thrown.body, thrown.status);
      // An emulator bug, not an API answer: as Hono's default handler does.
      console.error(thrown);
      return context.text('Internal Server Error', 500);
    });
    app.use('*', async (context, next) => {
      const header = context.req.header('authorization');
      if (header !== `Bearer ${this.token}`)
        return error(context, 401, 'unauthorized', 'unable to authenticate');
      await next();
    });
    // Before the server and volume routes, which would read `/volumes/actions` as the volume `actions`.
    registerActionRoutes(app, this.#actions, (type, id) =>
      type === 'server' ? this.#servers.has(id) : this.#volumes.get(id) !== undefined,
    );

    app.post('/servers', async (context) => {
      const body = (await context.req.json().catch(() => undefined)) as Json | undefined;
      if (body === undefined || typeof body !== 'object')
        return error(context, 400, 'json_error', 'invalid JSON');
      const problem = validateCreate(body);
      if (problem !== undefined) return error(context, 400, 'invalid_input', problem);
      const name = body.name as string;
      if ([...this.#servers.values()].some((server) => server.name === name)) {
        return error(context, 409, 'uniqueness_error', 'server name is already used');
      }
      const serverType = body.server_type as string;
      const type = SERVER_TYPES[serverType];
      const location = (body.location as string | undefined) ?? 'fsn1';
      if (type === undefined) return error(context, 400, 'invalid_input', 'unknown server type');
      const image = findHetznerImage(body.image as string | number);
      // UNCONFIRMED: status and message of an unknown image are inferred, not recorded.
      if (image === undefined) return error(context, 400, 'invalid_input', 'image not found');
      // A type the catalog does not offer in a location answers like one sold out there: production answered 422
      // "unsupported location for server type" for that case, not 412 resource_unavailable.
      const failure = type.locations.includes(location)
        ? this.#capacity.failureFor(location, serverType)
        : 'unsupported_location';
      if (failure !== undefined) {
        const { status, code, message } = HETZNER_CAPACITY_ERRORS[failure];
        return error(context, status, code, message);
      }
      if (this.#servers.size >= this.#serverLimit) {
        return error(context, 403, 'resource_limit_exceeded', 'server limit exceeded');
      }
      const start = body.start_after_create !== false;
      const server = this.seedServer({
        name,
        status: start ? 'initializing' : 'off',
        serverType,
        location,
        image: image.name,
        labels: (body.labels as Record<string, string> | undefined) ?? {},
        userData: (body.user_data as string | undefined) ?? '',
      });
      const created = this.#action('create_server', server.id);
      const started = start ? this.#action('start_server', server.id) : undefined;
      const actions = { action: actionJson(created), next_actions: started ? [actionJson(started)] : [] };
      if (started === undefined) this.#actions.finish(created);
      else {
        this.#transition(server, [
          { delay: DELAYS.boot, status: 'starting', actions: [created] },
          { delay: DELAYS.start, status: 'running', actions: [started] },
        ]);
      }
      return context.json({ server: this.#serverJson(server), ...actions, root_password: null }, 201);
    });

    app.get('/servers', (context) => {
      const url = new URL(context.req.url);
      const selector = context.req.query('label_selector');
      const name = context.req.query('name');
      const status = context.req.query('status');
      let matches: (server: HetznerServerRecord) => boolean;
      try {
        matches = labelSelector(selector ?? '');
      } catch {
        return error(context, 400, 'invalid_input', 'invalid label_selector');
      }
      const servers = [...this.#servers.values()]
        .filter(
          (server) =>
            (name === undefined || server.name === name) &&
            (status === undefined || server.status === status),
        )
        .filter(matches)
        .sort((a, b) => a.id - b.id);
      return context.json(paginate('servers', servers, url, (server) => this.#serverJson(server)));
    });

    app.get('/servers/:id', (context) => context.json({ server: this.#serverJson(this.#serverOf(context)) }));

    app.delete('/servers/:id', (context) => {
      const server = this.#serverOf(context);
      // Hetzner deletes in any state; the server and its primary IP are gone at once. Its volumes are detached, never
      // deleted (docs/hetzner-api.md "Volumes").
      this.#servers.delete(server.id);
      this.#volumes.detachAll(server.id);
      this.#ips.releaseServer(server.id);
      return context.json({ action: this.#instantAction('delete_server', server.id) });
    });

    app.post('/servers/:id/actions/:action', (context) => {
      const server = this.#serverOf(context);
      const action = context.req.param('action');
      const transition = (steps: ReadonlyArray<readonly [number, HetznerServerRecord['status']]>) => {
        const record = this.#action(`${action}_server`, server.id);
        const rendered = actionJson(record);
        this.#transition(
          server,
          steps.map(([delay, status], index) => ({
            delay,
            status,
            ...(index === steps.length - 1 ? { actions: [record] } : {}),
          })),
        );
        return context.json({ action: rendered }, 201);
      };
      switch (action) {
        case 'poweron':
          if (
            server.status !== 'running' &&
            server.status !== 'starting' &&
            server.status !== 'initializing'
          ) {
            server.status = 'starting';
            return transition([[DELAYS.start, 'running']]);
          }
          break;
        case 'poweroff':
        case 'shutdown':
          if (server.status !== 'off') {
            server.status = 'stopping';
            return transition([[DELAYS.stop, 'off']]);
          }
          break;
        case 'reboot':
          server.status = 'starting';
          return transition([[DELAYS.start, 'running']]);
        default:
          return error(context, 404, 'not_found', `action ${action} not found`);
      }
      // Nothing to do (already in or heading for the state): the action succeeds at once.
      return context.json({ action: this.#instantAction(`${action}_server`, server.id) }, 201);
    });

    registerVolumeRoutes(app, this.#volumes);
    this.#ips.register(app);

    app.notFound((context) => error(context, 404, 'not_found', 'not found'));
    return app;
  }

  #serverOf(context: Context): HetznerServerRecord {
    const raw = context.req.param('id') ?? '';
    const id = pathId(raw);
    const server = id === undefined ? undefined : this.#servers.get(id);
    if (server === undefined) throw serverNotFound(raw);
    return server;
  }
}

function error(context: Context, status: HetznerErrorDefinition['status'], code: string, message: string) {
  return context.json({ error: { code, message, details: {} } }, status);
}
