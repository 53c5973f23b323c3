import type { TransitionClock } from '../core/clock.js';
import type { InventoryItem } from '../core/emulator.js';
import { randomUuid } from '../core/random.js';
import type { ScalewayZone } from './catalog.js';
import {
  catalogImage,
  derivedUuid,
  imageRootSize,
  SCALEWAY_CATALOG_IMAGES,
  SCALEWAY_ZONE_IDS,
  type ScalewayCatalogImage,
  type ScalewayLocalImageType,
  type ScalewayServerTypeSpec,
  scalewayServerType,
} from './catalog.js';
import {
  invalidArguments,
  invalidRequest,
  locked,
  missingUserData,
  notFound,
  outOfStock,
  permissionsDenied,
  preconditionFailed,
  quotasExceeded,
  type ScalewayArgumentDetail,
} from './errors.js';
import type {
  ScalewayAvailability,
  ScalewayIpRecord,
  ScalewayQuota,
  ScalewaySeedIp,
  ScalewaySeedServer,
  ScalewayServerLocation,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
  ScalewayVolumeType,
} from './records.js';
import {
  isObject,
  readOptionalBoolean,
  readOptionalString,
  readProject,
  readTags,
  readVolumeTemplates,
  requiredArgument,
  splitList,
  type VolumeTemplate,
} from './request-body.js';
import {
  isEmulatedAction,
  SCALEWAY_ALLOWED_ACTIONS,
  SCALEWAY_RESTING_DETAIL,
  SCALEWAY_SERVER_ACTIONS,
  SCALEWAY_SERVER_STATES,
  SCALEWAY_TRANSITION_DELAYS,
  type ScalewayPhase,
  type ScalewayServerState,
  type ScalewayTransitionStep,
  scalewayActionPlan,
  scalewayActionRefusal,
  scalewaySeededSteps,
} from './servers.js';

/** What {@link ScalewayState} needs from its emulator. */
export interface ScalewayStateOptions {
  projectId: string;
  organizationId: string;
  quota: ScalewayQuota;
  clock: TransitionClock;
  random: () => number;
}

type Json = Record<string, unknown>;
type Access = 'read' | 'write' | 'delete';

const GB = 1_000_000_000;
/** §4.2: an SBS root volume from an SBS image is 10 GB. */
const DEFAULT_SBS_SIZE = 10 * GB;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZONE_CODES: Readonly<Record<string, string>> = {
  'fr-par': 'par',
  'nl-ams': 'ams',
  'pl-waw': 'waw',
  'it-mil': 'mil',
};
const LIST_ORDERS = [
  'creation_date_desc',
  'creation_date_asc',
  'modification_date_desc',
  'modification_date_asc',
];

/** A volume a create will attach: an existing one, or one to create. */
interface PlannedVolume {
  slot: string;
  existing?: ScalewayVolumeRecord;
  volumeType: ScalewayVolumeType;
  size: number;
  name: string;
  parentSnapshotId: string | null;
}

/** A fully resolved seed, reused by the bulk path. */
interface ResolvedSeed {
  zone: ScalewayZone;
  state: ScalewayServerState;
  project: string;
  tags: readonly string[];
  spec: ScalewayServerTypeSpec;
  image: ScalewayCatalogImage;
  volumeType: ScalewayVolumeType;
  dynamicIpRequired: boolean;
  protected: boolean;
  stateDetail: string | undefined;
  userData: Readonly<Record<string, string>>;
}

/** The emulated Scaleway resources and their rules, independent of HTTP. */
export class ScalewayState {
  readonly servers = new Map<string, ScalewayServerRecord>();
  readonly volumes = new Map<string, ScalewayVolumeRecord>();
  readonly ips = new Map<string, ScalewayIpRecord>();
  readonly projectId: string;
  readonly organizationId: string;
  readonly #quota: ScalewayQuota;
  readonly #clock: TransitionClock;
  readonly #random: () => number;
  readonly #availability = new Map<string, ScalewayAvailability>();
  #sequence = 0;
  #lastMicros = 0;
  #dynamicAddresses = 0;
  #flexibleAddresses = 0;

  constructor(options: ScalewayStateOptions) {
    this.projectId = options.projectId;
    this.organizationId = options.organizationId;
    this.#quota = options.quota;
    this.#clock = options.clock;
    this.#random = options.random;
  }

  /** Whether the API key may see resources of `project`. */
  canAccess(project: string): boolean {
    return project === this.projectId;
  }

  /** Now, in the Instance format `2025-09-05T15:46:14.716637+00:00`, strictly increasing between calls. */
  now(at?: Date): { text: string; micros: number } {
    const micros = at === undefined ? Math.max(Date.now() * 1000, this.#lastMicros + 1) : at.getTime() * 1000;
    if (at === undefined) this.#lastMicros = micros;
    const milliseconds = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 23);
    return { text: `${milliseconds}${String(micros % 1000).padStart(3, '0')}+00:00`, micros };
  }

  availability(zone: ScalewayZone, commercialType: string): ScalewayAvailability {
    return this.#availability.get(`${zone}/${commercialType}`) ?? 'available';
  }

  setAvailability(zone: ScalewayZone, commercialType: string, availability: ScalewayAvailability): void {
    this.#availability.set(`${zone}/${commercialType}`, availability);
  }

  // ---- Direct access (404 when unknown in the zone, 403 for another project, §2.3) ----

  server(zone: ScalewayZone, id: string, access: Access): ScalewayServerRecord {
    const server = this.servers.get(id);
    if (server === undefined || server.zone !== zone) throw notFound('instance_server', id);
    if (!this.canAccess(server.project)) throw permissionsDenied(access, 'server');
    return server;
  }

  volume(
    zone: ScalewayZone,
    id: string,
    volumeType: ScalewayVolumeType,
    access: Access,
  ): ScalewayVolumeRecord {
    const volume = this.volumes.get(id);
    // UNCONFIRMED (docs/scaleway-api.md §1): SBS volumes are served by the Block API only, local ones by Instance only.
    if (volume === undefined || volume.zone !== zone || volume.volumeType !== volumeType) {
      // docs/scaleway-api.md §7, §15.5: a Block API 404 names the resource `volume`.
      throw notFound(volumeType === 'l_ssd' ? 'instance_volume' : 'volume', id);
    }
    if (!this.canAccess(volume.project)) throw permissionsDenied(access, 'volume');
    return volume;
  }

  /** A flexible IP. */
  ip(zone: ScalewayZone, id: string, access: Access): ScalewayIpRecord {
    const ip = this.ips.get(id);
    // UNCONFIRMED (docs/scaleway-api.md §4.2): dynamic IPs are not served by `/ips`; they come and go with the server.
    if (ip === undefined || ip.zone !== zone || ip.dynamic) throw notFound('instance_ip', id);
    if (!this.canAccess(ip.project)) throw permissionsDenied(access, 'ip');
    return ip;
  }

  // ---- Servers ----

  /** `POST /servers` (docs/scaleway-api.md §4): validate, resolve the image, create volumes; the server is `stopped`. */
  createServer(zone: ScalewayZone, body: unknown): ScalewayServerRecord {
    if (!isObject(body)) {
      // UNCONFIRMED (docs/scaleway-api.md §7): the answer to a body that is not a JSON object was not recorded.
      throw invalidRequest('the request body must be a JSON object');
    }
    const missing: ScalewayArgumentDetail[] = [];
    if (typeof body.commercial_type !== 'string' || body.commercial_type === '') {
      missing.push(requiredArgument('commercial_type'));
    }
    const noVolumes =
      body.volumes === undefined ||
      body.volumes === null ||
      (isObject(body.volumes) && Object.keys(body.volumes).length === 0);
    if ((body.image === undefined || body.image === null) && noVolumes) {
      missing.push(requiredArgument('image'), requiredArgument('volumes'));
    }
    if (missing.length > 0) throw invalidArguments(missing);
    const commercialType = body.commercial_type as string;

    const project = readProject(body);
    if (!this.canAccess(project)) throw permissionsDenied('write', 'server');
    const spec = scalewayServerType(commercialType, zone);
    if (spec === undefined) {
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the body for an unknown or unoffered commercial type was not recorded.
      throw invalidArguments([
        {
          argument_name: 'commercial_type',
          reason: 'constraint',
          help_message: `commercial type ${commercialType} is not available in zone ${zone}`,
        },
      ]);
    }
    const name = readOptionalString(body, 'name') ?? `srv-${randomUuid(this.#random).slice(0, 8)}`;
    const tags = readTags(body.tags);
    const dynamicIpRequired = readOptionalBoolean(body, 'dynamic_ip_required') ?? true;
    const isProtected = readOptionalBoolean(body, 'protected') ?? false;
    const templates = readVolumeTemplates(body.volumes);
    const rootTemplate = templates.get('0');

    let image: ScalewayCatalogImage | undefined;
    if (body.image !== undefined && body.image !== null) {
      if (typeof body.image !== 'string') {
        throw invalidArguments([
          { argument_name: 'image', reason: 'format', help_message: 'must be a string' },
        ]);
      }
      image = this.#resolveImage(zone, body.image, spec, rootTemplate?.volumeType);
    }
    const flexibleIps = this.#readPublicIps(zone, body);
    const planned = this.#planVolumes(zone, spec, image, templates);

    this.#checkServerQuota(project);
    this.#checkVolumeQuota(project, planned.filter((entry) => entry.existing === undefined).length);

    const server = this.#newServer({
      zone,
      project,
      name,
      tags,
      spec,
      imageId: image?.id ?? null,
      dynamicIpRequired,
      isProtected,
      state: 'stopped',
      stateDetail: SCALEWAY_RESTING_DETAIL.stopped,
    });
    for (const entry of planned) {
      const volume =
        entry.existing ??
        this.#newVolume(zone, project, entry.volumeType, entry.size, entry.name, entry.parentSnapshotId);
      this.#attachVolume(volume, server, entry.slot);
    }
    for (const ip of flexibleIps) this.#attachIp(ip, server);
    return server;
  }

  /** `GET /servers` filters and order (docs/scaleway-api.md §8.1); paging is applied by the caller. */
  listServers(zone: ScalewayZone, query: URLSearchParams): ScalewayServerRecord[] {
    const project = query.get('project');
    const organization = query.get('organization');
    const name = query.get('name');
    const state = query.get('state');
    const commercialType = query.get('commercial_type');
    const tags = splitList(query.get('tags'));
    const ids = splitList(query.get('servers'));
    const withoutIp = query.get('without_ip');
    const withIp = query.get('with_ip');
    const order = query.get('order') ?? 'creation_date_desc';
    if (!LIST_ORDERS.includes(order)) {
      throw invalidArguments([
        {
          argument_name: 'order',
          reason: 'constraint',
          help_message: `must be one of ${LIST_ORDERS.join(', ')}`,
        },
      ]);
    }
    if (state !== null && !(SCALEWAY_SERVER_STATES as readonly string[]).includes(state)) {
      throw invalidArguments([
        { argument_name: 'state', reason: 'constraint', help_message: `unknown server state ${state}` },
      ]);
    }
    // UNCONFIRMED (docs/scaleway-api.md §8.1): case sensitivity of the partial `name` match; matched case-insensitively.
    const nameNeedle = name?.toLowerCase();
    const matches: ScalewayServerRecord[] = [];
    for (const server of this.servers.values()) {
      if (server.zone !== zone || !this.canAccess(server.project)) continue;
      if (project !== null && server.project !== project) continue;
      if (organization !== null && server.organization !== organization) continue;
      if (nameNeedle !== undefined && !server.name.toLowerCase().includes(nameNeedle)) continue;
      if (state !== null && server.state !== state) continue;
      if (commercialType !== null && server.commercialType !== commercialType) continue;
      // UNCONFIRMED (docs/scaleway-api.md §8.1): every listed tag must be present, each compared as a whole string.
      if (!tags.every((tag) => server.tags.includes(tag))) continue;
      if (ids.length > 0 && !ids.includes(server.id)) continue;
      if (withoutIp === 'true' || withIp !== null) {
        const addresses = this.serverIps(server).map((ip) => ip.address);
        if (withoutIp === 'true' && addresses.length > 0) continue;
        if (withIp !== null && !addresses.includes(withIp)) continue;
      }
      matches.push(server);
    }
    const byModification = order.startsWith('modification_date');
    const direction = order.endsWith('_desc') ? -1 : 1;
    return matches.sort((left, right) => {
      const primary = byModification
        ? left.modificationDate.localeCompare(right.modificationDate)
        : left.createdAt - right.createdAt;
      return direction * (primary !== 0 ? primary : left.sequence - right.sequence);
    });
  }

  /** `PATCH /servers/{id}`: name, tags, dynamic_ip_required, protected. */
  updateServer(zone: ScalewayZone, id: string, body: unknown): ScalewayServerRecord {
    const server = this.server(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const name = readOptionalString(body, 'name');
    if (name !== undefined) server.name = name;
    if (body.tags !== undefined) server.tags = readTags(body.tags);
    const dynamicIpRequired = readOptionalBoolean(body, 'dynamic_ip_required');
    if (dynamicIpRequired !== undefined) server.dynamicIpRequired = dynamicIpRequired;
    const isProtected = readOptionalBoolean(body, 'protected');
    if (isProtected !== undefined) server.protected = isProtected;
    server.modificationDate = this.now().text;
    return server;
  }

  /** `DELETE /servers/{id}` (docs/scaleway-api.md §6.1): only when stopped; every volume and flexible IP stays. */
  deleteServer(zone: ScalewayZone, id: string): void {
    const server = this.server(zone, id, 'delete');
    if (server.state === 'locked') throw locked('instance_server', server.id);
    // UNCONFIRMED (docs/scaleway-api.md §6.1): only `running` is recorded; every state but `stopped` is refused alike.
    if (server.state !== 'stopped') throw invalidRequest('instance should be powered off');
    // UNCONFIRMED (docs/scaleway-api.md §3): the message for a protected server was not recorded.
    if (server.protected) throw invalidRequest('server is protected');
    this.#removeServer(server, 'delete');
  }

  /** `POST /servers/{id}/action` (docs/scaleway-api.md §5): check `allowed_actions`, then run the transition. */
  performAction(zone: ScalewayZone, id: string, body: unknown): ScalewayServerRecord {
    const server = this.server(zone, id, 'write');
    const action = isObject(body) ? body.action : undefined;
    if (typeof action !== 'string' || !(SCALEWAY_SERVER_ACTIONS as readonly string[]).includes(action)) {
      // UNCONFIRMED (docs/scaleway-api.md §5.1): the answer to an unknown action was not recorded.
      throw invalidArguments([
        {
          argument_name: 'action',
          reason: action === undefined ? 'required' : 'constraint',
          help_message: `must be one of ${SCALEWAY_SERVER_ACTIONS.join(', ')}`,
        },
      ]);
    }
    const known = action as (typeof SCALEWAY_SERVER_ACTIONS)[number];
    if (!SCALEWAY_ALLOWED_ACTIONS[server.state].includes(known)) {
      throw scalewayActionRefusal(known, server.state, server.id);
    }
    if (!isEmulatedAction(known)) throw invalidRequest(`action ${known} is not supported by the emulator`);
    // UNCONFIRMED (docs/scaleway-api.md §3): a protected server refuses power-off, reboot, standby and terminate.
    if (server.protected && known !== 'poweron') throw invalidRequest('server is protected');
    if (known === 'poweron' && this.availability(zone, server.commercialType) === 'shortage') {
      throw outOfStock(server.commercialType);
    }
    const plan = scalewayActionPlan(known, server.state);
    this.#enter(server, plan.immediate);
    this.#runSteps(server, plan.steps);
    return server;
  }

  /** The public IPs of a server: flexible ones first, then the dynamic one. */
  serverIps(server: ScalewayServerRecord): ScalewayIpRecord[] {
    const ids =
      server.dynamicIpId === null ? server.flexibleIpIds : [...server.flexibleIpIds, server.dynamicIpId];
    return ids.flatMap((id) => {
      const ip = this.ips.get(id);
      return ip === undefined ? [] : [ip];
    });
  }

  // ---- User data (docs/scaleway-api.md §9) ----

  setUserData(zone: ScalewayZone, id: string, key: string, value: string): void {
    this.server(zone, id, 'write').userData.set(key, value);
  }

  getUserData(zone: ScalewayZone, id: string, key: string): string {
    const value = this.server(zone, id, 'read').userData.get(key);
    if (value === undefined) throw missingUserData();
    return value;
  }

  listUserData(zone: ScalewayZone, id: string): string[] {
    // UNCONFIRMED (docs/scaleway-api.md §9): recorded lists were alphabetical.
    return [...this.server(zone, id, 'read').userData.keys()].sort();
  }

  deleteUserData(zone: ScalewayZone, id: string, key: string): void {
    const server = this.server(zone, id, 'write');
    // UNCONFIRMED (docs/scaleway-api.md §9): deleting a missing key answers like reading one.
    if (!server.userData.delete(key)) throw missingUserData();
  }

  // ---- Volumes ----

  /** `DELETE /instance/v1/zones/{zone}/volumes/{id}` for local volumes. */
  deleteLocalVolume(zone: ScalewayZone, id: string): void {
    const volume = this.volume(zone, id, 'l_ssd', 'delete');
    // UNCONFIRMED (docs/scaleway-api.md §6.1): the refusal for an attached volume was not recorded.
    if (volume.serverId !== null)
      throw invalidRequest('volume is attached to a server and cannot be deleted');
    this.volumes.delete(volume.id);
  }

  /** `DELETE /block/v1/zones/{zone}/volumes/{id}`: refused while the volume is in use. */
  deleteBlockVolume(zone: ScalewayZone, id: string): void {
    const volume = this.volume(zone, id, 'sbs_volume', 'delete');
    if (volume.serverId !== null) {
      // UNCONFIRMED (docs/scaleway-api.md §6.4): the Block API's answer for an in-use volume was not recorded.
      throw preconditionFailed(
        'resource_still_in_use',
        'the volume is attached to a server; detach it first',
      );
    }
    this.volumes.delete(volume.id);
  }

  // ---- Flexible IPs ----

  /** `POST /ips` (docs/scaleway-api.md §1): a detached routed IPv4, or attached to `server`. */
  createIp(zone: ScalewayZone, body: unknown): ScalewayIpRecord {
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const project = readProject(body);
    if (!this.canAccess(project)) throw permissionsDenied('write', 'ip');
    const type = readOptionalString(body, 'type') ?? 'routed_ipv4';
    if (type !== 'routed_ipv4') {
      throw invalidArguments([
        { argument_name: 'type', reason: 'constraint', help_message: 'the emulator offers routed_ipv4 only' },
      ]);
    }
    const serverId = readOptionalString(body, 'server');
    const server = serverId === undefined ? undefined : this.server(zone, serverId, 'write');
    const ip = this.#newIp(zone, project, false, readTags(body.tags));
    if (server !== undefined) this.#attachIp(ip, server);
    return ip;
  }

  /** `PATCH /ips/{id}`: attach (`server: id`), detach (`server: null`), tags. */
  updateIp(zone: ScalewayZone, id: string, body: unknown): ScalewayIpRecord {
    const ip = this.ip(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    if (body.tags !== undefined) ip.tags = readTags(body.tags);
    if (body.server === null) this.#detachIp(ip);
    else if (typeof body.server === 'string') {
      const server = this.server(zone, body.server, 'write');
      this.#detachIp(ip);
      this.#attachIp(ip, server);
    }
    return ip;
  }

  deleteIp(zone: ScalewayZone, id: string): void {
    const ip = this.ip(zone, id, 'delete');
    this.#detachIp(ip);
    this.ips.delete(ip.id);
  }

  // ---- Seeding ----

  seedServer(seed: ScalewaySeedServer): ScalewayServerRecord {
    return this.#seed(this.#resolveSeed(seed), seed.name, seed.createdAt);
  }

  seedServers(count: number, template: ScalewaySeedServer): ScalewayServerRecord[] {
    const resolved = this.#resolveSeed(template);
    const prefix = template.name ?? 'seeded';
    const servers: ScalewayServerRecord[] = [];
    for (let index = 0; index < count; index++) servers.push(this.#seed(resolved, `${prefix}-${index}`));
    return servers;
  }

  seedIp(seed: ScalewaySeedIp): ScalewayIpRecord {
    const zone = seed.zone ?? 'fr-par-1';
    const ip = this.#newIp(zone, seed.project ?? this.projectId, false, [...(seed.tags ?? [])]);
    if (seed.serverId !== undefined) {
      const server = this.servers.get(seed.serverId);
      if (server === undefined || server.zone !== zone)
        throw new Error(`no server ${seed.serverId} in ${zone}`);
      this.#attachIp(ip, server);
    }
    return ip;
  }

  inventory(): InventoryItem[] {
    const items: InventoryItem[] = [];
    for (const server of this.servers.values()) {
      items.push({
        kind: 'server',
        id: server.id,
        zone: server.zone,
        project: server.project,
        orphaned: false,
        detail: { name: server.name, state: server.state, commercial_type: server.commercialType },
      });
    }
    for (const volume of this.volumes.values()) {
      items.push({
        kind: 'volume',
        id: volume.id,
        zone: volume.zone,
        project: volume.project,
        server: volume.serverId,
        orphaned: volume.serverId === null,
        detail: { volume_type: volume.volumeType, size: volume.size, name: volume.name },
      });
    }
    for (const ip of this.ips.values()) {
      items.push({
        kind: 'ip',
        id: ip.id,
        zone: ip.zone,
        project: ip.project,
        server: ip.serverId,
        orphaned: ip.serverId === null,
        detail: { address: ip.address, dynamic: ip.dynamic },
      });
    }
    return items;
  }

  reset(): void {
    this.servers.clear();
    this.volumes.clear();
    this.ips.clear();
    this.#availability.clear();
  }

  // ---- Internals ----

  /**
   * §10.2: a UUID must name an image of this zone (else 404 `instance_image`); a label resolves to the first
   * local image of the zone whose `compatible_commercial_types` has the type, SBS by default.
   */
  #resolveImage(
    zone: ScalewayZone,
    reference: string,
    spec: ScalewayServerTypeSpec,
    rootVolumeType: ScalewayVolumeType | undefined,
  ): ScalewayCatalogImage {
    if (UUID_PATTERN.test(reference)) {
      const image = catalogImage(reference.toLowerCase());
      if (image === undefined || image.zone !== zone) throw notFound('instance_image', reference);
      if (!image.compatibleCommercialTypes.includes(spec.name)) {
        // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of an image the type cannot boot was not recorded.
        throw invalidArguments([
          {
            argument_name: 'image',
            reason: 'constraint',
            help_message: `image ${image.id} is not compatible with commercial type ${spec.name}`,
          },
        ]);
      }
      return image;
    }
    const wanted: ScalewayLocalImageType = rootVolumeType === 'l_ssd' ? 'instance_local' : 'instance_sbs';
    const candidates = SCALEWAY_CATALOG_IMAGES.filter(
      (image) => image.zone === zone && image.label === reference,
    );
    // UNCONFIRMED (docs/scaleway-api.md §4.1): an unknown label is answered like an unknown image UUID.
    if (candidates.length === 0) throw notFound('instance_image', reference);
    const image = candidates.find(
      (candidate) => candidate.type === wanted && candidate.compatibleCommercialTypes.includes(spec.name),
    );
    if (image === undefined) {
      throw invalidArguments([
        {
          argument_name: 'image',
          reason: 'constraint',
          help_message: `couldn't find a local image for label ${reference} in zone ${zone} and commercial type ${spec.name}`,
        },
      ]);
    }
    return image;
  }

  /** The volumes a create will attach, slot by slot, after checking the type's local storage limit. */
  #planVolumes(
    zone: ScalewayZone,
    spec: ScalewayServerTypeSpec,
    image: ScalewayCatalogImage | undefined,
    templates: Map<string, VolumeTemplate>,
  ): PlannedVolume[] {
    const planned: PlannedVolume[] = [];
    const slots = new Set(templates.keys());
    if (image !== undefined) slots.add('0');
    for (const slot of [...slots].sort((left, right) => Number(left) - Number(right))) {
      const template = templates.get(slot) ?? {};
      if (template.id !== undefined) {
        const existing = this.volumes.get(template.id);
        if (existing === undefined || existing.zone !== zone) throw notFound('instance_volume', template.id);
        if (!this.canAccess(existing.project)) throw permissionsDenied('write', 'volume');
        // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of a volume attached elsewhere was not recorded.
        if (existing.serverId !== null) throw invalidRequest(`volume ${existing.id} is already attached`);
        planned.push({
          slot,
          existing,
          volumeType: existing.volumeType,
          size: existing.size,
          name: existing.name,
          parentSnapshotId: existing.parentSnapshotId,
        });
        continue;
      }
      if (slot === '0' && image !== undefined) {
        planned.push(this.#planRootVolume(spec, image, template));
        continue;
      }
      if (template.volumeType === undefined || template.size === undefined) {
        throw invalidArguments([
          {
            argument_name: `volumes.${slot}`,
            reason: 'required',
            help_message: 'a new volume needs volume_type and size',
          },
        ]);
      }
      planned.push({
        slot,
        volumeType: template.volumeType,
        size: template.size,
        name: template.name ?? `volume-${slot}`,
        parentSnapshotId: null,
      });
    }
    const localTotal = planned
      .filter((entry) => entry.volumeType === 'l_ssd')
      .reduce((total, entry) => total + entry.size, 0);
    if (localTotal > spec.localStorageMax) {
      // UNCONFIRMED (docs/scaleway-api.md §11): the wording of the local storage limit error was not recorded.
      throw invalidRequest(
        `the total size of local volumes must be at most ${spec.localStorageMax / GB} GB for ${spec.name}`,
      );
    }
    return planned;
  }

  /** §4.2: a local image gets an `l_ssd` root at the type's local maximum; an SBS image a 10 GB `sbs_volume`. */
  #planRootVolume(
    spec: ScalewayServerTypeSpec,
    image: ScalewayCatalogImage,
    template: VolumeTemplate,
  ): PlannedVolume {
    const local = image.type === 'instance_local';
    if (local && template.volumeType === 'sbs_volume') {
      // §4.1: recorded message for an SBS volume from a local-only image.
      throw invalidRequest('cannot create a volume of type sbs_volume from a base of type unified');
    }
    if (!local && template.volumeType === 'l_ssd') {
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the mirror case of the recorded message.
      throw invalidRequest('cannot create a volume of type l_ssd from a base of type sbs_snapshot');
    }
    const size = template.size ?? (local ? spec.localStorageMax : DEFAULT_SBS_SIZE);
    if (size < imageRootSize(image)) {
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the wording of a root volume smaller than its image was not recorded.
      throw invalidRequest(`the root volume must be at least ${imageRootSize(image) / GB} GB`);
    }
    return {
      slot: '0',
      volumeType: local ? 'l_ssd' : 'sbs_volume',
      size,
      name: template.name ?? (local ? `${image.label}:volume-0` : `${image.name}_sbs_volume_0`),
      parentSnapshotId: image.rootVolumeId,
    };
  }

  /** `public_ips` (ids) and the deprecated `public_ip` of a create (docs/scaleway-api.md §4.1). */
  #readPublicIps(zone: ScalewayZone, body: Json): ScalewayIpRecord[] {
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

  #checkServerQuota(project: string): void {
    const quota = this.#quota.servers;
    if (quota === undefined) return;
    let current = 0;
    for (const server of this.servers.values()) if (server.project === project) current++;
    if (current >= quota) {
      throw quotasExceeded([{ resource: 'instance_server', quota, current, project_id: project }]);
    }
  }

  #checkVolumeQuota(project: string, adding: number): void {
    const quota = this.#quota.volumes;
    if (quota === undefined || adding === 0) return;
    let current = 0;
    for (const volume of this.volumes.values()) if (volume.project === project) current++;
    if (current + adding > quota) {
      throw quotasExceeded([{ resource: 'instance_volume', quota, current, project_id: project }]);
    }
  }

  #newServer(input: {
    zone: ScalewayZone;
    project: string;
    name: string;
    tags: string[];
    spec: ScalewayServerTypeSpec;
    imageId: string | null;
    dynamicIpRequired: boolean;
    isProtected: boolean;
    state: ScalewayServerState;
    stateDetail: string;
    createdAt?: Date | undefined;
  }): ScalewayServerRecord {
    const created = this.now(input.createdAt);
    const modified = input.createdAt === undefined ? created : this.now();
    const server: ScalewayServerRecord = {
      id: randomUuid(this.#random),
      zone: input.zone,
      project: input.project,
      // A default project shares its id with the organization (docs/scaleway-api.md §3).
      organization: input.project === this.projectId ? this.organizationId : input.project,
      name: input.name,
      commercialType: input.spec.name,
      arch: input.spec.arch,
      state: input.state,
      stateDetail: input.stateDetail,
      tags: input.tags,
      dynamicIpRequired: input.dynamicIpRequired,
      protected: input.isProtected,
      imageId: input.imageId,
      volumes: {},
      flexibleIpIds: [],
      dynamicIpId: null,
      macAddress: this.#macAddress(),
      securityGroupId: derivedUuid('security-group', input.project, input.zone),
      location: null,
      creationDate: created.text,
      modificationDate: modified.text,
      userData: new Map(),
      createdAt: created.micros,
      sequence: this.#sequence++,
      generation: 0,
    };
    this.servers.set(server.id, server);
    return server;
  }

  #newVolume(
    zone: ScalewayZone,
    project: string,
    volumeType: ScalewayVolumeType,
    size: number,
    name: string,
    parentSnapshotId: string | null,
  ): ScalewayVolumeRecord {
    const now = this.now().text;
    const volume: ScalewayVolumeRecord = {
      id: randomUuid(this.#random),
      zone,
      project,
      organization: project === this.projectId ? this.organizationId : project,
      name,
      volumeType,
      size,
      serverId: null,
      tags: [],
      parentSnapshotId,
      creationDate: now,
      modificationDate: now,
      lastDetachedAt: null,
      referenceCreatedAt: null,
    };
    this.volumes.set(volume.id, volume);
    return volume;
  }

  #attachVolume(volume: ScalewayVolumeRecord, server: ScalewayServerRecord, slot: string): void {
    volume.serverId = server.id;
    volume.referenceCreatedAt = this.now().text;
    volume.modificationDate = volume.referenceCreatedAt;
    server.volumes[slot] = volume.id;
  }

  #detachVolume(volume: ScalewayVolumeRecord): void {
    volume.serverId = null;
    volume.referenceCreatedAt = null;
    volume.lastDetachedAt = this.now().text;
    volume.modificationDate = volume.lastDetachedAt;
  }

  #newIp(zone: ScalewayZone, project: string, dynamic: boolean, tags: string[]): ScalewayIpRecord {
    const ip: ScalewayIpRecord = {
      id: randomUuid(this.#random),
      zone,
      project,
      organization: project === this.projectId ? this.organizationId : project,
      address: dynamic
        ? this.#nextAddress('51.15', this.#dynamicAddresses++)
        : this.#nextAddress('51.158', this.#flexibleAddresses++),
      dynamic,
      serverId: null,
      state: 'detached',
      tags,
    };
    this.ips.set(ip.id, ip);
    return ip;
  }

  #attachIp(ip: ScalewayIpRecord, server: ScalewayServerRecord): void {
    ip.serverId = server.id;
    ip.state = 'attached';
    if (!ip.dynamic && !server.flexibleIpIds.includes(ip.id)) server.flexibleIpIds.push(ip.id);
  }

  #detachIp(ip: ScalewayIpRecord): void {
    if (ip.serverId === null) return;
    const server = this.servers.get(ip.serverId);
    if (server !== undefined) server.flexibleIpIds = server.flexibleIpIds.filter((id) => id !== ip.id);
    ip.serverId = null;
    ip.state = 'detached';
  }

  /** Enter a phase of a transition and apply its side effects. */
  #enter(server: ScalewayServerRecord, phase: ScalewayPhase): void {
    server.state = phase.state;
    server.stateDetail = phase.detail;
    server.modificationDate = this.now().text;
    for (const effect of phase.effects ?? []) {
      switch (effect) {
        case 'allocateNode':
          server.location ??= this.#location(server.zone);
          break;
        case 'attachDynamicIp':
          server.location ??= this.#location(server.zone);
          this.#attachDynamicIp(server, 'pending');
          break;
        case 'confirmDynamicIp': {
          const ip = server.dynamicIpId === null ? undefined : this.ips.get(server.dynamicIpId);
          if (ip !== undefined) ip.state = 'attached';
          break;
        }
        case 'releaseDynamicIp':
          this.#releaseDynamicIp(server);
          break;
        case 'releaseNode':
          server.location = null;
          break;
        case 'terminate':
          this.#removeServer(server, 'terminate');
          break;
        default: {
          const unreachable: never = effect;
          throw new Error(`unknown effect ${String(unreachable)}`);
        }
      }
    }
  }

  /** §4.2: a dynamic IPv4 only when required and no flexible IPv4 is attached. */
  #attachDynamicIp(server: ScalewayServerRecord, state: ScalewayIpRecord['state']): void {
    if (!server.dynamicIpRequired || server.flexibleIpIds.length > 0 || server.dynamicIpId !== null) return;
    const ip = this.#newIp(server.zone, server.project, true, []);
    ip.serverId = server.id;
    ip.state = state;
    server.dynamicIpId = ip.id;
  }

  #releaseDynamicIp(server: ScalewayServerRecord): void {
    if (server.dynamicIpId !== null) this.ips.delete(server.dynamicIpId);
    server.dynamicIpId = null;
  }

  /** Schedule `steps` one after another; a newer action or the server's removal cancels the rest. */
  #runSteps(server: ScalewayServerRecord, steps: readonly ScalewayTransitionStep[]): void {
    const generation = ++server.generation;
    const run = (index: number) => {
      const step = steps[index];
      if (step === undefined) return;
      this.#clock.schedule(SCALEWAY_TRANSITION_DELAYS[step.delay], () => {
        if (this.servers.get(server.id) !== server || server.generation !== generation) return;
        this.#enter(server, step);
        run(index + 1);
      });
    };
    run(0);
  }

  /**
   * Remove a server. §6.1 `DELETE` leaves every volume behind (`server: null`); §6.2 `terminate` deletes the
   * local volumes and only detaches the SBS ones. Flexible IPs are detached either way; the dynamic IP goes.
   */
  #removeServer(server: ScalewayServerRecord, mode: 'delete' | 'terminate'): void {
    for (const volumeId of Object.values(server.volumes)) {
      const volume = this.volumes.get(volumeId);
      if (volume === undefined) continue;
      if (mode === 'terminate' && volume.volumeType === 'l_ssd') this.volumes.delete(volume.id);
      else this.#detachVolume(volume);
    }
    for (const ip of this.serverIps(server)) {
      if (ip.dynamic) this.ips.delete(ip.id);
      else {
        ip.serverId = null;
        ip.state = 'detached';
      }
    }
    server.generation++;
    this.servers.delete(server.id);
  }

  #resolveSeed(seed: ScalewaySeedServer): ResolvedSeed {
    const zone = seed.zone ?? 'fr-par-1';
    if (!SCALEWAY_ZONE_IDS.includes(zone)) throw new Error(`unknown zone ${zone}`);
    const commercialType = seed.commercialType ?? 'DEV1-S';
    const spec = scalewayServerType(commercialType, zone);
    if (spec === undefined) throw new Error(`${commercialType} is not offered in ${zone}`);
    const volumeType = seed.volumeType ?? (spec.localStorageMax > 0 ? 'l_ssd' : 'sbs_volume');
    const label = seed.imageLabel ?? 'ubuntu_noble';
    const wanted: ScalewayLocalImageType = volumeType === 'l_ssd' ? 'instance_local' : 'instance_sbs';
    const image = SCALEWAY_CATALOG_IMAGES.find(
      (candidate) =>
        candidate.zone === zone &&
        candidate.label === label &&
        candidate.type === wanted &&
        candidate.compatibleCommercialTypes.includes(spec.name),
    );
    if (image === undefined) throw new Error(`no ${wanted} image ${label} in ${zone} for ${spec.name}`);
    return {
      zone,
      state: seed.state ?? 'running',
      project: seed.project ?? this.projectId,
      tags: seed.tags ?? [],
      spec,
      image,
      volumeType,
      dynamicIpRequired: seed.dynamicIpRequired ?? true,
      protected: seed.protected ?? false,
      stateDetail: seed.stateDetail,
      userData: seed.userData ?? {},
    };
  }

  #seed(seed: ResolvedSeed, name: string | undefined, createdAt?: Date): ScalewayServerRecord {
    const server = this.#newServer({
      zone: seed.zone,
      project: seed.project,
      name: name ?? `seeded-${this.#sequence}`,
      tags: [...seed.tags],
      spec: seed.spec,
      imageId: seed.image.id,
      dynamicIpRequired: seed.dynamicIpRequired,
      isProtected: seed.protected,
      state: seed.state,
      stateDetail: seed.stateDetail ?? SCALEWAY_RESTING_DETAIL[seed.state],
      createdAt,
    });
    const root = this.#planRootVolume(seed.spec, seed.image, { volumeType: seed.volumeType });
    const volume = this.#newVolume(
      seed.zone,
      seed.project,
      root.volumeType,
      root.size,
      root.name,
      root.parentSnapshotId,
    );
    this.#attachVolume(volume, server, '0');
    for (const [key, value] of Object.entries(seed.userData)) server.userData.set(key, value);
    if (seed.state !== 'stopped' && seed.state !== 'locked') server.location = this.#location(seed.zone);
    if (seed.state === 'running' || seed.state === 'stopping') this.#attachDynamicIp(server, 'attached');
    const steps = scalewaySeededSteps(seed.state);
    if (steps.length > 0) this.#runSteps(server, steps);
    return server;
  }

  #location(zone: ScalewayZone): ScalewayServerLocation {
    const number = (range: number) => String(1 + Math.floor(this.#random() * range));
    const [country = '', city = ''] = zone.split('-');
    return {
      zone_id: `${ZONE_CODES[`${country}-${city}`] ?? city}${zone.slice(-1)}`,
      platform_id: number(30),
      cluster_id: number(99),
      hypervisor_id: number(1_200),
      node_id: number(40),
    };
  }

  #macAddress(): string {
    const byte = () =>
      Math.floor(this.#random() * 256)
        .toString(16)
        .padStart(2, '0');
    return `de:00:00:${byte()}:${byte()}:${byte()}`;
  }

  /** Addresses are handed out in order from a /16, skipping network and broadcast octets. */
  #nextAddress(prefix: string, index: number): string {
    const host = (index % 254) + 1;
    const block = Math.floor(index / 254) % 256;
    return `${prefix}.${block}.${host}`;
  }
}
