import type { ScalewayZone } from './catalog.js';
import {
  derivedUuid,
  SCALEWAY_ZONE_IDS,
  type ScalewayCatalogImage,
  type ScalewayServerTypeSpec,
  scalewayServerType,
} from './catalog.js';
import {
  invalidArguments,
  invalidRequest,
  locked,
  missingUserData,
  outOfStock,
  quotasExceeded,
  type ScalewayArgumentDetail,
} from './errors.js';
import { resolveServerImage, seedImage } from './images.js';
import { type ScalewayIps, serverIps } from './ips.js';
import type {
  ScalewaySeedServer,
  ScalewayServerLocation,
  ScalewayServerRecord,
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
} from './request-body.js';
import { planRootVolume, type ScalewayServerVolumes } from './server-volumes.js';
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
import type { ScalewayState } from './state.js';

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

/**
 * Instance servers (docs/scaleway-api.md §3–§6, §8.1, §9): create, list, update, delete, actions and their
 * transitions on the emulator clock, user data, seeding. Volumes and IPs are delegated to their modules.
 */
export class ScalewayServers {
  readonly #state: ScalewayState;
  readonly #volumes: ScalewayServerVolumes;
  readonly #ips: ScalewayIps;

  constructor(state: ScalewayState, volumes: ScalewayServerVolumes, ips: ScalewayIps) {
    this.#state = state;
    this.#volumes = volumes;
    this.#ips = ips;
  }

  /** `POST /servers` (docs/scaleway-api.md §4): validate, resolve the image, create volumes; the server is `stopped`. */
  create(zone: ScalewayZone, body: unknown): ScalewayServerRecord {
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
    this.#state.checkAccess(project, 'write', 'server');
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
    const name = readOptionalString(body, 'name') ?? `srv-${this.#state.newId().slice(0, 8)}`;
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
      image = resolveServerImage(zone, body.image, spec, rootTemplate?.volumeType);
    }
    const flexibleIps = this.#ips.readServerCreateIps(zone, body);
    const planned = this.#volumes.plan(zone, spec, image, templates);

    this.#checkServerQuota(project);
    this.#state.checkVolumeQuota(
      project,
      planned.filter((entry) => entry.existing === undefined).length,
      'instance_volume',
    );

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
    this.#volumes.attachPlanned(server, planned);
    for (const ip of flexibleIps) this.#ips.attach(ip, server);
    return server;
  }

  /** `GET /servers` filters and order (docs/scaleway-api.md §8.1); paging is applied by the caller. */
  list(zone: ScalewayZone, query: URLSearchParams): ScalewayServerRecord[] {
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
    for (const server of this.#state.servers.values()) {
      if (server.zone !== zone || !this.#state.canAccess(server.project)) continue;
      if (project !== null && server.project !== project) continue;
      if (organization !== null && server.organization !== organization) continue;
      if (nameNeedle !== undefined && !server.name.toLowerCase().includes(nameNeedle)) continue;
      if (state !== null && server.state !== state) continue;
      if (commercialType !== null && server.commercialType !== commercialType) continue;
      // UNCONFIRMED (docs/scaleway-api.md §8.1): every listed tag must be present, each compared as a whole string.
      if (!tags.every((tag) => server.tags.includes(tag))) continue;
      if (ids.length > 0 && !ids.includes(server.id)) continue;
      if (withoutIp === 'true' || withIp !== null) {
        const addresses = serverIps(this.#state, server).map((ip) => ip.address);
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
  update(zone: ScalewayZone, id: string, body: unknown): ScalewayServerRecord {
    const server = this.#state.server(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const name = readOptionalString(body, 'name');
    if (name !== undefined) server.name = name;
    if (body.tags !== undefined) server.tags = readTags(body.tags);
    const dynamicIpRequired = readOptionalBoolean(body, 'dynamic_ip_required');
    if (dynamicIpRequired !== undefined) server.dynamicIpRequired = dynamicIpRequired;
    const isProtected = readOptionalBoolean(body, 'protected');
    if (isProtected !== undefined) server.protected = isProtected;
    server.modificationDate = this.#state.now().text;
    return server;
  }

  /** `DELETE /servers/{id}` (docs/scaleway-api.md §6.1): only when stopped; every volume and flexible IP stays. */
  delete(zone: ScalewayZone, id: string): void {
    const server = this.#state.server(zone, id, 'delete');
    if (server.state === 'locked') throw locked('instance_server', server.id);
    // UNCONFIRMED (docs/scaleway-api.md §6.1): only `running` is recorded; every state but `stopped` is refused alike.
    if (server.state !== 'stopped') throw invalidRequest('instance should be powered off');
    // UNCONFIRMED (docs/scaleway-api.md §3): the message for a protected server was not recorded.
    if (server.protected) throw invalidRequest('server is protected');
    this.#remove(server, 'delete');
  }

  /** `POST /servers/{id}/action` (docs/scaleway-api.md §5): check `allowed_actions`, then run the transition. */
  performAction(zone: ScalewayZone, id: string, body: unknown): ScalewayServerRecord {
    const server = this.#state.server(zone, id, 'write');
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
    if (known === 'poweron' && this.#state.availability(zone, server.commercialType) === 'shortage') {
      throw outOfStock(server.commercialType);
    }
    const plan = scalewayActionPlan(known, server.state);
    this.#enter(server, plan.immediate);
    this.#runSteps(server, plan.steps);
    return server;
  }

  // ---- User data (docs/scaleway-api.md §9) ----

  setUserData(zone: ScalewayZone, id: string, key: string, value: string): void {
    this.#state.server(zone, id, 'write').userData.set(key, value);
  }

  getUserData(zone: ScalewayZone, id: string, key: string): string {
    const value = this.#state.server(zone, id, 'read').userData.get(key);
    if (value === undefined) throw missingUserData();
    return value;
  }

  listUserData(zone: ScalewayZone, id: string): string[] {
    // UNCONFIRMED (docs/scaleway-api.md §9): recorded lists were alphabetical.
    return [...this.#state.server(zone, id, 'read').userData.keys()].sort();
  }

  deleteUserData(zone: ScalewayZone, id: string, key: string): void {
    const server = this.#state.server(zone, id, 'write');
    // UNCONFIRMED (docs/scaleway-api.md §9): deleting a missing key answers like reading one.
    if (!server.userData.delete(key)) throw missingUserData();
  }

  // ---- Seeding ----

  seed(seed: ScalewaySeedServer): ScalewayServerRecord {
    return this.#seed(this.#resolveSeed(seed), seed.name, seed.createdAt);
  }

  seedMany(count: number, template: ScalewaySeedServer): ScalewayServerRecord[] {
    const resolved = this.#resolveSeed(template);
    const prefix = template.name ?? 'seeded';
    const servers: ScalewayServerRecord[] = [];
    for (let index = 0; index < count; index++) servers.push(this.#seed(resolved, `${prefix}-${index}`));
    return servers;
  }

  // ---- Internals ----

  #checkServerQuota(project: string): void {
    const quota = this.#state.quota.servers;
    if (quota === undefined) return;
    let current = 0;
    for (const server of this.#state.servers.values()) if (server.project === project) current++;
    if (current >= quota) {
      throw quotasExceeded([{ resource: 'instance_server', quota, current, project_id: project }]);
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
    const created = this.#state.now(input.createdAt);
    const modified = input.createdAt === undefined ? created : this.#state.now();
    const server: ScalewayServerRecord = {
      id: this.#state.newId(),
      zone: input.zone,
      project: input.project,
      organization: this.#state.organizationOf(input.project),
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
      bootVolumeId: null,
      flexibleIpIds: [],
      dynamicIpId: null,
      macAddress: this.#macAddress(),
      securityGroupId: derivedUuid('security-group', input.project, input.zone),
      location: null,
      creationDate: created.text,
      modificationDate: modified.text,
      userData: new Map(),
      createdAt: created.micros,
      sequence: this.#state.nextSequence(),
      generation: 0,
    };
    this.#state.servers.set(server.id, server);
    return server;
  }

  /** Enter a phase of a transition and apply its side effects. */
  #enter(server: ScalewayServerRecord, phase: ScalewayPhase): void {
    server.state = phase.state;
    server.stateDetail = phase.detail;
    server.modificationDate = this.#state.now().text;
    for (const effect of phase.effects ?? []) {
      switch (effect) {
        case 'allocateNode':
          server.location ??= this.#location(server.zone);
          break;
        case 'attachDynamicIp':
          server.location ??= this.#location(server.zone);
          this.#ips.attachDynamic(server, 'pending');
          break;
        case 'confirmDynamicIp':
          this.#ips.confirmDynamic(server);
          break;
        case 'releaseDynamicIp':
          this.#ips.releaseDynamic(server);
          break;
        case 'releaseNode':
          server.location = null;
          break;
        case 'terminate':
          this.#remove(server, 'terminate');
          break;
        default: {
          const unreachable: never = effect;
          throw new Error(`unknown effect ${String(unreachable)}`);
        }
      }
    }
  }

  /** Schedule `steps` one after another; a newer action or the server's removal cancels the rest. */
  #runSteps(server: ScalewayServerRecord, steps: readonly ScalewayTransitionStep[]): void {
    const generation = ++server.generation;
    const run = (index: number) => {
      const step = steps[index];
      if (step === undefined) return;
      this.#state.clock.schedule(SCALEWAY_TRANSITION_DELAYS[step.delay], () => {
        if (this.#state.servers.get(server.id) !== server || server.generation !== generation) return;
        this.#enter(server, step);
        run(index + 1);
      });
    };
    run(0);
  }

  /** Remove a server: its volumes per §6.1 / §6.2, its flexible IPs detached, its dynamic IP gone. */
  #remove(server: ScalewayServerRecord, mode: 'delete' | 'terminate'): void {
    this.#volumes.release(server, mode);
    this.#ips.releaseServer(server);
    server.generation++;
    this.#state.servers.delete(server.id);
  }

  #resolveSeed(seed: ScalewaySeedServer): ResolvedSeed {
    const zone = seed.zone ?? 'fr-par-1';
    if (!SCALEWAY_ZONE_IDS.includes(zone)) throw new Error(`unknown zone ${zone}`);
    const commercialType = seed.commercialType ?? 'DEV1-S';
    const spec = scalewayServerType(commercialType, zone);
    if (spec === undefined) throw new Error(`${commercialType} is not offered in ${zone}`);
    const volumeType = seed.volumeType ?? (spec.localStorageMax > 0 ? 'l_ssd' : 'sbs_volume');
    return {
      zone,
      state: seed.state ?? 'running',
      project: seed.project ?? this.#state.projectId,
      tags: seed.tags ?? [],
      spec,
      image: seedImage(zone, seed.imageLabel ?? 'ubuntu_noble', spec, volumeType),
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
      name: name ?? `seeded-${this.#state.sequence}`,
      tags: [...seed.tags],
      spec: seed.spec,
      imageId: seed.image.id,
      dynamicIpRequired: seed.dynamicIpRequired,
      isProtected: seed.protected,
      state: seed.state,
      stateDetail: seed.stateDetail ?? SCALEWAY_RESTING_DETAIL[seed.state],
      createdAt,
    });
    this.#volumes.attachPlanned(server, [
      planRootVolume(seed.spec, seed.image, { volumeType: seed.volumeType }),
    ]);
    for (const [key, value] of Object.entries(seed.userData)) server.userData.set(key, value);
    if (seed.state !== 'stopped' && seed.state !== 'locked') server.location = this.#location(seed.zone);
    if (seed.state === 'running' || seed.state === 'stopping') this.#ips.attachDynamic(server, 'attached');
    const steps = scalewaySeededSteps(seed.state);
    if (steps.length > 0) this.#runSteps(server, steps);
    return server;
  }

  #location(zone: ScalewayZone): ScalewayServerLocation {
    const number = (range: number) => String(1 + Math.floor(this.#state.random() * range));
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
      Math.floor(this.#state.random() * 256)
        .toString(16)
        .padStart(2, '0');
    return `de:00:00:${byte()}:${byte()}:${byte()}`;
  }
}
