import type { ScalewayBlockVolumes } from './block-volumes.js';
import type { ScalewayZone } from './catalog.js';
import {
  imageRootSize,
  type ScalewayCatalogImage,
  type ScalewayServerTypeSpec,
  scalewayServerType,
} from './catalog.js';
import {
  invalidArguments,
  invalidRequest,
  locked,
  notFound,
  type ScalewayApiError,
  transientState,
} from './errors.js';
import type { ScalewayLocalVolumes } from './local-volumes.js';
import type {
  ScalewaySeedBlockVolume,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
  ScalewayVolumeType,
} from './records.js';
import { isObject, readOptionalBoolean, readOptionalString, type VolumeTemplate } from './request-body.js';
import type { ScalewayState } from './state.js';

const GB = 1_000_000_000;
/** §4.2: an SBS root volume from an SBS image is 10 GB. */
const DEFAULT_SBS_SIZE = 10 * GB;
/** §15.9: at most 16 volumes per server, the boot volume included. */
export const SCALEWAY_MAX_SERVER_VOLUMES = 16;

/** A volume a create will attach: an existing one, or one to create. */
export interface PlannedVolume {
  slot: string;
  existing?: ScalewayVolumeRecord;
  volumeType: ScalewayVolumeType;
  size: number;
  name: string;
  parentSnapshotId: string | null;
}

/**
 * A server's `volumes` map (docs/scaleway-api.md §3, §4, §6, §15.9): what a create attaches, `attach-volume` and
 * `detach-volume`, and what happens to the volumes when the server goes.
 */
export class ScalewayServerVolumes {
  readonly #state: ScalewayState;
  readonly #local: ScalewayLocalVolumes;
  readonly #block: ScalewayBlockVolumes;

  constructor(state: ScalewayState, local: ScalewayLocalVolumes, block: ScalewayBlockVolumes) {
    this.#state = state;
    this.#local = local;
    this.#block = block;
  }

  /** The volumes a create will attach, slot by slot, after checking the type's local storage limit. */
  plan(
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
        const existing = this.#state.volumes.get(template.id);
        if (existing === undefined || existing.zone !== zone) throw notFound('instance_volume', template.id);
        this.#state.checkAccess(existing.project, 'write', 'volume');
        // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of a volume attached elsewhere was not recorded.
        if (existing.serverId !== null) throw invalidRequest(`volume ${existing.id} is already attached`);
        // UNCONFIRMED (docs/scaleway-api.md §15.15): attaching a `creating` / `updating` volume was not recorded.
        if (existing.operation !== null) throw transientState('volume', existing.id, existing.operation);
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
        planned.push(planRootVolume(spec, image, template));
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
    if (planned.length > SCALEWAY_MAX_SERVER_VOLUMES) throw tooManyVolumes('volumes');
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

  /**
   * `POST /servers/{id}/attach-volume` (§15.9 (a)): `{volume_id, volume_type?, boot?}`; the volume goes under the
   * next free key of the map. A Block volume is `in_use` at once, its reference `attaching`, then `attached`.
   */
  attach(zone: ScalewayZone, serverId: string, body: unknown): ScalewayServerRecord {
    const server = this.#state.server(zone, serverId, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const volumeId = readVolumeId(body);
    const volumeType = readOptionalString(body, 'volume_type');
    if (volumeType !== undefined && volumeType !== 'l_ssd' && volumeType !== 'sbs_volume') {
      throw invalidArguments([
        {
          argument_name: 'volume_type',
          reason: 'constraint',
          help_message: 'the emulator attaches l_ssd and sbs_volume volumes',
        },
      ]);
    }
    const boot = readOptionalBoolean(body, 'boot') ?? false;
    checkServerState(server);
    const volume = this.#state.volumes.get(volumeId);
    // UNCONFIRMED (docs/scaleway-api.md §15.9): without `volume_type` the volume's own type is used. A volume of
    // another zone is not found from this zone's server, like an unknown one (§15.1: same zone only).
    const wanted = volumeType ?? volume?.volumeType ?? 'sbs_volume';
    if (volume === undefined || volume.zone !== zone || volume.volumeType !== wanted) {
      throw notFound(wanted === 'l_ssd' ? 'instance_volume' : 'volume', volumeId);
    }
    this.#state.checkAccess(volume.project, 'write', 'volume');
    if (Object.keys(server.volumes).length >= SCALEWAY_MAX_SERVER_VOLUMES) throw tooManyVolumes('volume_id');
    const slot = nextFreeSlot(server);
    if (volume.volumeType === 'sbs_volume') {
      this.#block.checkAttachable(volume);
      this.#block.attach(volume, server, slot, true);
    } else {
      this.#checkLocalChange(server);
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of a volume attached elsewhere was not recorded.
      if (volume.serverId !== null) throw invalidRequest(`volume ${volume.id} is already attached`);
      this.#checkLocalStorage(server, volume.size);
      this.#local.attach(volume, server, slot);
    }
    if (boot) server.bootVolumeId = volume.id;
    server.modificationDate = this.#state.now().text;
    return server;
  }

  /**
   * `POST /servers/{id}/detach-volume` (§15.9 (b)): the map entry goes at once, the other keys stay; a Block volume
   * stays `in_use` with its reference `detaching` for a while (longer from a running server).
   */
  detach(zone: ScalewayZone, serverId: string, body: unknown): ScalewayServerRecord {
    const server = this.#state.server(zone, serverId, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const volumeId = readVolumeId(body);
    checkServerState(server);
    const slot = Object.keys(server.volumes).find((key) => server.volumes[key] === volumeId);
    if (slot === undefined) {
      // §15.13: the recorded body.
      throw invalidArguments([
        {
          argument_name: 'volume_id',
          reason: 'constraint',
          help_message: `Volume ${volumeId} is not attached to this server`,
        },
      ]);
    }
    const volume = this.#state.volumes.get(volumeId);
    if (volume?.volumeType === 'l_ssd') this.#checkLocalChange(server);
    delete server.volumes[slot];
    if (server.bootVolumeId === volumeId) server.bootVolumeId = null;
    if (volume?.volumeType === 'l_ssd') this.#local.detach(volume);
    else if (volume !== undefined) this.#block.detach(volume, { serverRunning: server.state === 'running' });
    server.modificationDate = this.#state.now().text;
    return server;
  }

  /** A seeded Block volume, attached at once to `seed.serverId` when given. */
  seedBlockVolume(seed: ScalewaySeedBlockVolume): ScalewayVolumeRecord {
    const zone = seed.zone ?? 'fr-par-1';
    const server = seed.serverId === undefined ? undefined : this.#state.servers.get(seed.serverId);
    if (seed.serverId !== undefined && (server === undefined || server.zone !== zone)) {
      throw new Error(`no server ${seed.serverId} in ${zone}`);
    }
    if (server !== undefined && Object.keys(server.volumes).length >= SCALEWAY_MAX_SERVER_VOLUMES) {
      throw new Error(`server ${server.id} already has ${SCALEWAY_MAX_SERVER_VOLUMES} volumes`);
    }
    const volume = this.#block.seed({ ...seed, zone });
    if (server !== undefined) this.#block.attach(volume, server, nextFreeSlot(server));
    return volume;
  }

  /** Create what `planned` lists as new, and attach everything to `server`. */
  attachPlanned(server: ScalewayServerRecord, planned: readonly PlannedVolume[]): void {
    for (const entry of planned) {
      const volume = entry.existing ?? this.#create(server, entry);
      if (volume.volumeType === 'l_ssd') this.#local.attach(volume, server, entry.slot);
      else this.#block.attach(volume, server, entry.slot);
    }
  }

  /**
   * The server goes. §6.1 `DELETE` leaves every volume behind (`server: null`); §6.2 `terminate` deletes the local
   * volumes and only detaches the SBS ones.
   */
  release(server: ScalewayServerRecord, mode: 'delete' | 'terminate'): void {
    for (const volumeId of Object.values(server.volumes)) {
      const volume = this.#state.volumes.get(volumeId);
      if (volume === undefined) continue;
      if (volume.volumeType === 'l_ssd') {
        if (mode === 'terminate') this.#state.volumes.delete(volume.id);
        else this.#local.detach(volume);
      } else this.#block.detach(volume);
    }
  }

  /** UNCONFIRMED (docs/scaleway-api.md §15.9): local volumes change only on a stopped server (Terraform's rule). */
  #checkLocalChange(server: ScalewayServerRecord): void {
    if (server.state !== 'stopped') throw invalidRequest('instance must be stopped to change local volumes');
  }

  #checkLocalStorage(server: ScalewayServerRecord, adding: number): void {
    const spec = scalewayServerType(server.commercialType, server.zone);
    let total = adding;
    for (const id of Object.values(server.volumes)) {
      const volume = this.#state.volumes.get(id);
      if (volume?.volumeType === 'l_ssd') total += volume.size;
    }
    if (spec !== undefined && total > spec.localStorageMax) {
      // UNCONFIRMED (docs/scaleway-api.md §11): the wording of the local storage limit error was not recorded.
      throw invalidRequest(
        `the total size of local volumes must be at most ${spec.localStorageMax / GB} GB for ${spec.name}`,
      );
    }
  }

  #create(server: ScalewayServerRecord, entry: PlannedVolume): ScalewayVolumeRecord {
    if (entry.volumeType === 'l_ssd') {
      return this.#local.create(server.zone, server.project, entry.size, entry.name, entry.parentSnapshotId);
    }
    // §15.12: the root Block volume a create makes has `tags: []` (server tags are not copied).
    return this.#block.newRecord({
      zone: server.zone,
      project: server.project,
      name: entry.name,
      size: entry.size,
      parentSnapshotId: entry.parentSnapshotId,
    });
  }
}

/**
 * §15.9: the next free key of the map. Recorded: `{}` → `"0"`, `{"0"}` → `"1"`. UNCONFIRMED (docs/scaleway-api.md
 * §15.15): with a hole left by a detach, the lowest free key is used.
 */
export function nextFreeSlot(server: ScalewayServerRecord): string {
  let index = 0;
  while (server.volumes[String(index)] !== undefined) index++;
  return String(index);
}

function readVolumeId(body: Record<string, unknown>): string {
  const volumeId = readOptionalString(body, 'volume_id');
  if (volumeId === undefined) {
    throw invalidArguments([
      { argument_name: 'volume_id', reason: 'required', help_message: 'required key not provided' },
    ]);
  }
  return volumeId;
}

/**
 * UNCONFIRMED (docs/scaleway-api.md §15.9, §15.15): attaching is documented "at any time" (hot-plug) and recorded on
 * stopped and running servers; during `starting` / `stopping` the platform-wide 409 `transient_state` is modelled,
 * and a locked server answers 423 `locked`.
 */
function checkServerState(server: ScalewayServerRecord): void {
  if (server.state === 'locked') throw locked('instance_server', server.id);
  if (server.state === 'starting' || server.state === 'stopping') {
    throw transientState('instance_server', server.id, server.state);
  }
}

/** UNCONFIRMED (docs/scaleway-api.md §15.9, §15.13): the error beyond 16 volumes was never recorded. */
function tooManyVolumes(argumentName: string): ScalewayApiError {
  return invalidArguments([
    {
      argument_name: argumentName,
      reason: 'constraint',
      help_message: `a server can have at most ${SCALEWAY_MAX_SERVER_VOLUMES} volumes, the boot volume included`,
    },
  ]);
}

/** §4.2: a local image gets an `l_ssd` root at the type's local maximum; an SBS image a 10 GB `sbs_volume`. */
export function planRootVolume(
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
