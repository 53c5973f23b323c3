import { type Context, Hono } from 'hono';
import { EmulatorBase, type EmulatorOptions, type InventoryItem } from '../core/emulator.js';
import {
  HETZNER_CAPACITY_ERRORS,
  type HetznerCapacityFailureHandle,
  type HetznerCapacityFailureRule,
  HetznerCapacityPlan,
} from './capacity.js';
import { findHetznerImage, HETZNER_EMULATOR_LOCATIONS, SERVER_TYPES } from './catalog.js';
import { labelSelector, validateCreate } from './validation.js';

/** Defaults of the Hetzner emulator. */
export const HETZNER_EMULATOR_TOKEN = 'emulator-token-0000000000000000000000000000000000000000000000000000';

/** Transition delays in emulated milliseconds (realistic; tests use an instant or manual clock). */
const DELAYS = { boot: 1_500, start: 1_000, stop: 800 } as const;

export interface HetznerEmulatorOptions extends EmulatorOptions {
  /** The API token the emulator accepts. Default {@link HETZNER_EMULATOR_TOKEN}. */
  token?: string;
  /** Most servers the project may hold; further creates get `resource_limit_exceeded`. Default 10 000. */
  serverLimit?: number;
}

/** A server as the emulator stores it. */
export interface HetznerServerRecord {
  id: number;
  name: string;
  status:
    | 'initializing'
    | 'starting'
    | 'running'
    | 'stopping'
    | 'off'
    | 'deleting'
    | 'migrating'
    | 'rebuilding';
  created: string;
  serverType: string;
  location: string;
  /** The catalog name of the image (a seeded server may carry any name). */
  image: string;
  labels: Record<string, string>;
  userData: string;
  ipv4: string;
  ipId: number;
  /** Bumped by each action so that transitions scheduled by an older action are ignored. */
  generation: number;
}

type Json = Record<string, unknown>;

/** A stateful fake of the Hetzner Cloud API v1 (servers and power actions). */
export class HetznerEmulator extends EmulatorBase {
  readonly token: string;
  readonly #serverLimit: number;
  readonly #servers = new Map<number, HetznerServerRecord>();
  readonly #capacity = new HetznerCapacityPlan();
  #nextId = 1_000_001;
  #nextActionId = 1;
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
    return items;
  }

  protected resetState(): void {
    this.#servers.clear();
    this.#capacity.clear();
  }

  #allocateIp(): string {
    const n = Math.floor(this.random() * 0xffff);
    return `203.0.${(n >> 8) & 0xff}.${n & 0xff || 1}`;
  }

  #serverJson(server: HetznerServerRecord): Json {
    const type = SERVER_TYPES[server.serverType];
    const location = HETZNER_EMULATOR_LOCATIONS.find((candidate) => candidate.name === server.location);
    return {
      id: server.id,
      name: server.name,
      status: server.status,
      created: server.created,
      public_net: {
        ipv4: {
          id: server.ipId,
          ip: server.ipv4,
          blocked: false,
          dns_ptr: `static.${server.ipv4}.clients.your-server.de`,
        },
        ipv6: null,
        floating_ips: [],
        firewalls: [],
      },
      private_net: [],
      server_type: {
        name: server.serverType,
        cores: type?.cores ?? 1,
        memory: type?.memory ?? 1,
        disk: type?.disk ?? 10,
        cpu_type: 'shared',
      },
      datacenter: {
        name: `${server.location}-dc1`,
        location: location ?? { name: server.location },
      },
      image: this.#imageJson(server.image),
      labels: server.labels,
      locked: false,
      protection: { delete: false, rebuild: false },
      included_traffic: 21_990_232_555_520,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      rescue_enabled: false,
      volumes: [],
      load_balancers: [],
      primary_disk_size: type?.disk ?? 10,
      placement_group: null,
    };
  }

  /** A seeded server may carry an image outside the catalog; it renders with what is known of it. */
  #imageJson(name: string): Json {
    const image = findHetznerImage(name);
    if (image !== undefined) return { ...image };
    return { id: 0, name, type: 'system', os_flavor: 'unknown', os_version: null, description: name };
  }

  #action(command: string, serverId: number): Json {
    return {
      id: this.#nextActionId++,
      command,
      status: 'running',
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources: [{ id: serverId, type: 'server' }],
      error: null,
    };
  }

  /** Run `steps` in order, each after its delay, unless a newer action superseded this one. */
  #transition(
    server: HetznerServerRecord,
    steps: ReadonlyArray<[number, HetznerServerRecord['status']]>,
  ): void {
    const generation = ++server.generation;
    const run = (index: number) => {
      const step = steps[index];
      if (step === undefined) return;
      this.clock.schedule(step[0], () => {
        if (this.#servers.get(server.id) !== server || server.generation !== generation) return;
        server.status = step[1];
        run(index + 1);
      });
    };
    run(0);
  }

  #routes(): Hono {
    const app = new Hono().basePath('/v1');
    app.use('*', async (context, next) => {
      const header = context.req.header('authorization');
      if (header !== `Bearer ${this.token}`)
        return error(context, 401, 'unauthorized', 'unable to authenticate');
      await next();
    });

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
        ? this.#capacity.take(location, serverType)
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
      if (start)
        this.#transition(server, [
          [DELAYS.boot, 'starting'],
          [DELAYS.start, 'running'],
        ]);
      return context.json(
        {
          server: this.#serverJson(server),
          action: this.#action('create_server', server.id),
          next_actions: start ? [this.#action('start_server', server.id)] : [],
          root_password: null,
        },
        201,
      );
    });

    app.get('/servers', (context) => {
      const perPage = Math.min(Number(context.req.query('per_page') ?? 25) || 25, 50);
      const page = Math.max(Number(context.req.query('page') ?? 1) || 1, 1);
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
      const lastPage = Math.max(Math.ceil(servers.length / perPage), 1);
      return context.json({
        servers: servers
          .slice((page - 1) * perPage, page * perPage)
          .map((server) => this.#serverJson(server)),
        meta: {
          pagination: {
            page,
            per_page: perPage,
            previous_page: page > 1 ? page - 1 : null,
            next_page: page < lastPage ? page + 1 : null,
            last_page: lastPage,
            total_entries: servers.length,
          },
        },
      });
    });

    app.get('/servers/:id', (context) => {
      const server = this.#servers.get(Number(context.req.param('id')));
      if (server === undefined) return notFound(context, context.req.param('id'));
      return context.json({ server: this.#serverJson(server) });
    });

    app.delete('/servers/:id', (context) => {
      const server = this.#servers.get(Number(context.req.param('id')));
      if (server === undefined) return notFound(context, context.req.param('id'));
      // Hetzner deletes in any state; the server and its primary IP are gone at once.
      this.#servers.delete(server.id);
      return context.json({ action: this.#action('delete_server', server.id) });
    });

    app.post('/servers/:id/actions/:action', (context) => {
      const server = this.#servers.get(Number(context.req.param('id')));
      if (server === undefined) return notFound(context, context.req.param('id'));
      const action = context.req.param('action');
      switch (action) {
        case 'poweron':
          if (
            server.status !== 'running' &&
            server.status !== 'starting' &&
            server.status !== 'initializing'
          ) {
            server.status = 'starting';
            this.#transition(server, [[DELAYS.start, 'running']]);
          }
          break;
        case 'poweroff':
        case 'shutdown':
          if (server.status !== 'off') {
            server.status = 'stopping';
            this.#transition(server, [[DELAYS.stop, 'off']]);
          }
          break;
        case 'reboot':
          server.status = 'starting';
          this.#transition(server, [[DELAYS.start, 'running']]);
          break;
        default:
          return error(context, 404, 'not_found', `action ${action} not found`);
      }
      return context.json({ action: this.#action(`${action}_server`, server.id) }, 201);
    });

    app.notFound((context) => error(context, 404, 'not_found', 'not found'));
    return app;
  }
}

function error(
  context: Context,
  status: 400 | 401 | 403 | 404 | 409 | 412 | 422,
  code: string,
  message: string,
) {
  return context.json({ error: { code, message, details: {} } }, status);
}

function notFound(context: Context, id: string) {
  return error(context, 404, 'not_found', `server with ID ${id} not found`);
}
