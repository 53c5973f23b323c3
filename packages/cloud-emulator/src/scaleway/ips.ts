import type { ScalewayZone } from './catalog.js';
import { invalidArguments, invalidRequest, notFound } from './errors.js';
import type { ScalewayIpRecord, ScalewaySeedIp, ScalewayServerRecord } from './records.js';
import { isObject, readOptionalString, readProject, readTags, splitList } from './request-body.js';
import type { ScalewayAccess, ScalewayState } from './state.js';

type Json = Record<string, unknown>;

/**
 * Routed IPv4 addresses: flexible IPs (`/ips`, docs/scaleway-api.md §1) and the dynamic IP a running server gets
 * (§4.2).
 */
export class ScalewayIps {
  readonly #state: ScalewayState;
  #dynamicAddresses = 0;
  #flexibleAddresses = 0;

  constructor(state: ScalewayState) {
    this.#state = state;
  }

  /** A flexible IP. */
  ip(zone: ScalewayZone, id: string, access: ScalewayAccess): ScalewayIpRecord {
    const ip = this.#state.ips.get(id);
    // UNCONFIRMED (docs/scaleway-api.md §4.2): dynamic IPs are not served by `/ips`; they come and go with the server.
    if (ip === undefined || ip.zone !== zone || ip.dynamic) throw notFound('instance_ip', id);
    this.#state.checkAccess(ip.project, access, 'ip');
    return ip;
  }

  /** `GET /ips` filters; paging by the caller. */
  list(zone: ScalewayZone, query: URLSearchParams): ScalewayIpRecord[] {
    const project = query.get('project');
    const tags = splitList(query.get('tags'));
    return [...this.#state.ips.values()].filter(
      (ip) =>
        ip.zone === zone &&
        !ip.dynamic &&
        this.#state.canAccess(ip.project) &&
        (project === null || ip.project === project) &&
        tags.every((tag) => ip.tags.includes(tag)),
    );
  }

  /** `POST /ips` (docs/scaleway-api.md §1): a detached routed IPv4, or attached to `server`. */
  create(zone: ScalewayZone, body: unknown): ScalewayIpRecord {
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const project = readProject(body);
    this.#state.checkAccess(project, 'write', 'ip');
    const type = readOptionalString(body, 'type') ?? 'routed_ipv4';
    if (type !== 'routed_ipv4') {
      throw invalidArguments([
        { argument_name: 'type', reason: 'constraint', help_message: 'the emulator offers routed_ipv4 only' },
      ]);
    }
    const serverId = readOptionalString(body, 'server');
    const server = serverId === undefined ? undefined : this.#state.server(zone, serverId, 'write');
    const ip = this.#newIp(zone, project, false, readTags(body.tags));
    if (server !== undefined) this.attach(ip, server);
    return ip;
  }

  /** `PATCH /ips/{id}`: attach (`server: id`), detach (`server: null`), tags. */
  update(zone: ScalewayZone, id: string, body: unknown): ScalewayIpRecord {
    const ip = this.ip(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    if (body.tags !== undefined) ip.tags = readTags(body.tags);
    if (body.server === null) this.#detach(ip);
    else if (typeof body.server === 'string') {
      const server = this.#state.server(zone, body.server, 'write');
      this.#detach(ip);
      this.attach(ip, server);
    }
    return ip;
  }

  delete(zone: ScalewayZone, id: string): void {
    const ip = this.ip(zone, id, 'delete');
    this.#detach(ip);
    this.#state.ips.delete(ip.id);
  }

  /** `public_ips` (ids) and the deprecated `public_ip` of a server create (docs/scaleway-api.md §4.1). */
  readServerCreateIps(zone: ScalewayZone, body: Json): ScalewayIpRecord[] {
    const ids: string[] = [];
    if (body.public_ips !== undefined && body.public_ips !== null) {
      if (!Array.isArray(body.public_ips) || body.public_ips.some((id) => typeof id !== 'string')) {
        throw invalidArguments([
          { argument_name: 'public_ips', reason: 'format', help_message: 'must be a list of IP ids' },
        ]);
      }
      ids.push(...(body.public_ips as string[]));
    }
    const single = readOptionalString(body, 'public_ip');
    if (single !== undefined && !ids.includes(single)) ids.push(single);
    return ids.map((id) => {
      const ip = this.ip(zone, id, 'write');
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of an IP attached elsewhere was not recorded.
      if (ip.serverId !== null) throw invalidRequest(`IP ${ip.address} is already attached to a server`);
      return ip;
    });
  }

  attach(ip: ScalewayIpRecord, server: ScalewayServerRecord): void {
    ip.serverId = server.id;
    ip.state = 'attached';
    if (!ip.dynamic && !server.flexibleIpIds.includes(ip.id)) server.flexibleIpIds.push(ip.id);
  }

  /** §4.2: a dynamic IPv4 only when required and no flexible IPv4 is attached. */
  attachDynamic(server: ScalewayServerRecord, state: ScalewayIpRecord['state']): void {
    if (!server.dynamicIpRequired || server.flexibleIpIds.length > 0 || server.dynamicIpId !== null) return;
    const ip = this.#newIp(server.zone, server.project, true, []);
    ip.serverId = server.id;
    ip.state = state;
    server.dynamicIpId = ip.id;
  }

  /** The network is configured: the dynamic IPv4 becomes `attached`. */
  confirmDynamic(server: ScalewayServerRecord): void {
    const ip = server.dynamicIpId === null ? undefined : this.#state.ips.get(server.dynamicIpId);
    if (ip !== undefined) ip.state = 'attached';
  }

  releaseDynamic(server: ScalewayServerRecord): void {
    if (server.dynamicIpId !== null) this.#state.ips.delete(server.dynamicIpId);
    server.dynamicIpId = null;
  }

  /** A server is removed: its dynamic IP goes, its flexible IPs stay, detached (§6.1, §6.2). */
  releaseServer(server: ScalewayServerRecord): void {
    for (const ip of serverIps(this.#state, server)) {
      if (ip.dynamic) this.#state.ips.delete(ip.id);
      else {
        ip.serverId = null;
        ip.state = 'detached';
      }
    }
  }

  seed(seed: ScalewaySeedIp): ScalewayIpRecord {
    const zone = seed.zone ?? 'fr-par-1';
    const ip = this.#newIp(zone, seed.project ?? this.#state.projectId, false, [...(seed.tags ?? [])]);
    if (seed.serverId !== undefined) {
      const server = this.#state.servers.get(seed.serverId);
      if (server === undefined || server.zone !== zone)
        throw new Error(`no server ${seed.serverId} in ${zone}`);
      this.attach(ip, server);
    }
    return ip;
  }

  #detach(ip: ScalewayIpRecord): void {
    if (ip.serverId === null) return;
    const server = this.#state.servers.get(ip.serverId);
    if (server !== undefined) server.flexibleIpIds = server.flexibleIpIds.filter((id) => id !== ip.id);
    ip.serverId = null;
    ip.state = 'detached';
  }

  #newIp(zone: ScalewayZone, project: string, dynamic: boolean, tags: string[]): ScalewayIpRecord {
    const ip: ScalewayIpRecord = {
      id: this.#state.newId(),
      zone,
      project,
      organization: this.#state.organizationOf(project),
      address: dynamic
        ? nextAddress('51.15', this.#dynamicAddresses++)
        : nextAddress('51.158', this.#flexibleAddresses++),
      dynamic,
      serverId: null,
      state: 'detached',
      tags,
    };
    this.#state.ips.set(ip.id, ip);
    return ip;
  }
}

/** The public IPs of a server: flexible ones first, then the dynamic one. */
export function serverIps(state: ScalewayState, server: ScalewayServerRecord): ScalewayIpRecord[] {
  const ids =
    server.dynamicIpId === null ? server.flexibleIpIds : [...server.flexibleIpIds, server.dynamicIpId];
  return ids.flatMap((id) => {
    const ip = state.ips.get(id);
    return ip === undefined ? [] : [ip];
  });
}

/** Addresses are handed out in order from a /16, skipping network and broadcast octets. */
function nextAddress(prefix: string, index: number): string {
  const host = (index % 254) + 1;
  const block = Math.floor(index / 254) % 256;
  return `${prefix}.${block}.${host}`;
}
