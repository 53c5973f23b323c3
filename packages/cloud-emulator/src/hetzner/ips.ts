/**
 * Primary IPs and Floating IPs of the Hetzner emulator (docs/hetzner-api.md "IPs"): listed with `label_selector`,
 * deleted when unassigned. A server's own primary IPv4 (made with it, `auto_delete: true`) is listed as assigned
 * to it and goes with it; other IPs are seeded, and a server delete unassigns them (or deletes those with
 * `auto_delete`).
 */
import type { Context, Hono } from 'hono';
import { HETZNER_VOLUME_ERRORS, type HetznerErrorDefinition, hetznerError } from './errors.js';
import { paginate, pathId } from './listing.js';
import type { HetznerServerRecord } from './servers.js';
import { labelSelector } from './validation.js';

type Json = Record<string, unknown>;

export type HetznerIpKind = 'primary' | 'floating';

/** A Primary or Floating IP. `assignee` is the server id, or `null` when unassigned (and still billed). */
export interface HetznerIpRecord {
  id: number;
  kind: HetznerIpKind;
  name: string;
  ip: string;
  location: string;
  assignee: number | null;
  /** Primary IPs only: deleted with the server it is assigned to. */
  autoDelete: boolean;
  labels: Record<string, string>;
  created: string;
}

const IP_ERRORS = {
  // UNCONFIRMED (docs/hetzner-api.md "IPs"): the refusal to delete an assigned IP; `resource_in_use` like a volume.
  assigned: {
    status: 409,
    code: 'resource_in_use',
    message: 'IP is assigned to a server, unassign it first',
  } satisfies HetznerErrorDefinition,
  notFound: { status: 404, code: 'not_found', message: 'IP not found' } satisfies HetznerErrorDefinition,
} as const;

/** The IP store; the servers' own primary IPs are derived from the servers, never stored. */
export class HetznerIps {
  readonly #ips = new Map<number, HetznerIpRecord>();
  readonly #servers: () => Iterable<HetznerServerRecord>;
  #nextId = 7_000_001;

  constructor(servers: () => Iterable<HetznerServerRecord>) {
    this.#servers = servers;
  }

  /** The stored (seeded) IPs, for the inventory. */
  stored(): HetznerIpRecord[] {
    return [...this.#ips.values()];
  }

  seed(partial: Partial<Omit<HetznerIpRecord, 'id'>>): HetznerIpRecord {
    const id = this.#nextId++;
    const kind = partial.kind ?? 'primary';
    const record: HetznerIpRecord = {
      id,
      kind,
      name: partial.name ?? `${kind === 'primary' ? 'primary_ip' : 'floating_ip'}-${id}`,
      ip: partial.ip ?? `198.51.${(id >> 8) & 0xff}.${id & 0xff || 1}`,
      location: partial.location ?? 'fsn1',
      assignee: partial.assignee ?? null,
      autoDelete: partial.autoDelete ?? false,
      labels: { ...(partial.labels ?? {}) },
      created: partial.created ?? new Date().toISOString(),
    };
    this.#ips.set(id, record);
    return record;
  }

  /** A server is gone: its auto-delete primary IPs go, every other IP assigned to it stays, unassigned. */
  releaseServer(serverId: number): void {
    for (const ip of this.#ips.values()) {
      if (ip.assignee !== serverId) continue;
      if (ip.kind === 'primary' && ip.autoDelete) this.#ips.delete(ip.id);
      else ip.assignee = null;
    }
  }

  clear(): void {
    this.#ips.clear();
  }

  /** Every IP of `kind`: the servers' own primary IPv4s, then the stored ones. */
  #all(kind: HetznerIpKind): HetznerIpRecord[] {
    const own: HetznerIpRecord[] =
      kind === 'primary'
        ? [...this.#servers()].map((server) => ({
            id: server.ipId,
            kind: 'primary',
            name: `primary_ip-${server.ipId}`,
            ip: server.ipv4,
            location: server.location,
            assignee: server.id,
            autoDelete: true,
            labels: {},
            created: server.created,
          }))
        : [];
    return [...own, ...[...this.#ips.values()].filter((ip) => ip.kind === kind)].sort((a, b) => a.id - b.id);
  }

  register(app: Hono): void {
    for (const kind of ['primary', 'floating'] as const) {
      const path = kind === 'primary' ? '/primary_ips' : '/floating_ips';
      const key = kind === 'primary' ? 'primary_ips' : 'floating_ips';
      const single = kind === 'primary' ? 'primary_ip' : 'floating_ip';
      const find = (context: Context): HetznerIpRecord => {
        const id = pathId(context.req.param('id') ?? '');
        const found = this.#all(kind).find((ip) => ip.id === id);
        if (found === undefined) throw hetznerError(IP_ERRORS.notFound);
        return found;
      };
      app.get(path, (context) => {
        const url = new URL(context.req.url);
        let matches: (ip: HetznerIpRecord) => boolean;
        try {
          matches = labelSelector(url.searchParams.get('label_selector') ?? '');
        } catch {
          throw hetznerError(HETZNER_VOLUME_ERRORS.invalidSelector);
        }
        const name = url.searchParams.get('name');
        const found = this.#all(kind).filter((ip) => (name === null || ip.name === name) && matches(ip));
        return context.json(paginate(key, found, url, (ip) => ipJson(ip)));
      });
      app.get(`${path}/:id`, (context) => context.json({ [single]: ipJson(find(context)) }));
      app.delete(`${path}/:id`, (context) => {
        const ip = find(context);
        if (ip.assignee !== null) throw hetznerError(IP_ERRORS.assigned);
        this.#ips.delete(ip.id);
        return context.body(null, 204);
      });
    }
  }
}

/** The API's rendering: `assignee_id` for a Primary IP, `server` for a Floating IP. */
export function ipJson(ip: HetznerIpRecord): Json {
  const common = {
    id: ip.id,
    name: ip.name,
    ip: ip.ip,
    type: 'ipv4',
    labels: { ...ip.labels },
    created: ip.created,
    blocked: false,
    protection: { delete: false },
  };
  return ip.kind === 'primary'
    ? {
        ...common,
        assignee_id: ip.assignee,
        assignee_type: 'server',
        auto_delete: ip.autoDelete,
        location: { name: ip.location },
      }
    : { ...common, server: ip.assignee, home_location: { name: ip.location } };
}
