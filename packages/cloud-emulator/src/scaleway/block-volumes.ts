import type { ScalewayZone } from './catalog.js';
import { invalidArguments, invalidRequest, notFound, preconditionFailed, transientState } from './errors.js';
import type {
  ScalewayBlockVolumeDelays,
  ScalewayBlockVolumeStatus,
  ScalewaySeedBlockVolume,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
} from './records.js';
import { isObject, readOptionalString, readTags } from './request-body.js';
import type { ScalewayAccess, ScalewayState } from './state.js';

const GB = 1_000_000_000;
/** §15.8: 1 GB (recorded) to 10 TB (SDK comments, docs FAQ). */
const MIN_SIZE = GB;
const MAX_SIZE = 10_000 * GB;
/** §15.3, §15.8: the two IOPS classes; no `perf_iops` gives 5 000. */
const PERF_IOPS = [5_000, 15_000];
const DEFAULT_PERF_IOPS = 5_000;
/** §15.5: `created_at_asc` is the default. */
const LIST_ORDERS = ['created_at_asc', 'created_at_desc', 'name_asc', 'name_desc'];

/**
 * The default lag of the Block view, in emulated milliseconds (docs/scaleway-api.md §15.3: `creating` lasted
 * 0.1–5 s; §15.6: a resize settled within 2–5 s; §15.9: `attaching` about 1 s, `detaching` ≤ 1.5 s from a stopped
 * server, ~1 s from a booted one and 43–63 s from one that had just booted).
 */
export const SCALEWAY_BLOCK_VOLUME_DELAYS: Readonly<ScalewayBlockVolumeDelays> = {
  create: 1_000,
  update: 2_000,
  attach: 1_000,
  detachStopped: 1_000,
  detachRunning: 10_000,
};

/** §15.4: a running create or update shows; otherwise `in_use` while referenced, else `available`. */
export function blockVolumeStatus(volume: ScalewayVolumeRecord): ScalewayBlockVolumeStatus {
  return volume.operation ?? (volume.serverId === null ? 'available' : 'in_use');
}

/** §15.2: the volume `type` follows its IOPS. */
export function blockVolumeType(perfIops: number): string {
  return perfIops === 15_000 ? 'sbs_15k' : 'sbs_5k';
}

/** What a new Block volume is made of. */
export interface BlockVolumeInput {
  zone: ScalewayZone;
  project: string;
  name: string;
  size: number;
  perfIops?: number;
  tags?: string[];
  parentSnapshotId?: string | null;
  kmsKeyId?: string | null;
  createdAt?: Date | undefined;
}

/**
 * Block Storage (`sbs_volume`) volumes, served by the Block API (`/block/v1/zones/{zone}/volumes`, docs/scaleway-api.md
 * §15): create, get, list, update, delete, and the Block side of an attachment, which lags behind the server's
 * map on the emulator clock.
 */
export class ScalewayBlockVolumes {
  readonly #state: ScalewayState;
  #delays: ScalewayBlockVolumeDelays;
  #seeded = 0;

  constructor(state: ScalewayState, delays: Partial<ScalewayBlockVolumeDelays> = {}) {
    this.#state = state;
    this.#delays = { ...SCALEWAY_BLOCK_VOLUME_DELAYS, ...delays };
  }

  get delays(): Readonly<ScalewayBlockVolumeDelays> {
    return this.#delays;
  }

  setDelays(delays: Partial<ScalewayBlockVolumeDelays>): void {
    this.#delays = { ...this.#delays, ...delays };
  }

  /** A Block volume: 404 `volume` when unknown in the zone or a local volume (§15.5, §15.13), 403 elsewhere. */
  volume(zone: ScalewayZone, id: string, access: ScalewayAccess): ScalewayVolumeRecord {
    const volume = this.#state.volumes.get(id);
    // UNCONFIRMED (docs/scaleway-api.md §1): SBS volumes are served by the Block API only, local ones by Instance only.
    // UNCONFIRMED (docs/scaleway-api.md §15.5): a volume asked for under another zone's path is answered 404 too.
    if (volume === undefined || volume.zone !== zone || volume.volumeType !== 'sbs_volume') {
      throw notFound('volume', id);
    }
    this.#state.checkAccess(volume.project, access, 'volume');
    return volume;
  }

  /**
   * `GET /volumes` (§15.5): filters `project_id`, `organization_id`, `name`, `tags` (repeated key, any of them),
   * `product_resource_id`; order `order_by`. Paging by the caller.
   */
  list(zone: ScalewayZone, query: URLSearchParams): ScalewayVolumeRecord[] {
    const order = query.get('order_by') ?? 'created_at_asc';
    if (!LIST_ORDERS.includes(order)) {
      throw invalidArguments([
        {
          argument_name: 'order_by',
          reason: 'constraint',
          help_message: `must be one of ${LIST_ORDERS.join(', ')}`,
        },
      ]);
    }
    const project = query.get('project_id');
    const organization = query.get('organization_id');
    const name = query.get('name');
    const resource = query.get('product_resource_id');
    const tags = query.getAll('tags').filter((tag) => tag !== '');
    const matches = [...this.#state.volumes.values()].filter(
      (volume) =>
        volume.zone === zone &&
        volume.volumeType === 'sbs_volume' &&
        this.#state.canAccess(volume.project) &&
        (project === null || volume.project === project) &&
        (organization === null || volume.organization === organization) &&
        // UNCONFIRMED (docs/scaleway-api.md §15.5): exact or partial `name` match; matched as a substring.
        (name === null || volume.name.includes(name)) &&
        // UNCONFIRMED (docs/scaleway-api.md §15.5): several tags select volumes with any of them (SDK doc: OR).
        (tags.length === 0 || tags.some((tag) => volume.tags.includes(tag))) &&
        (resource === null || volume.serverId === resource),
    );
    const byName = order.startsWith('name');
    const direction = order.endsWith('_desc') ? -1 : 1;
    // Array.prototype.sort is stable: ties keep creation order.
    return matches.sort((left, right) => {
      const [a, b] = byName ? [left.name, right.name] : [left.creationDate, right.creationDate];
      return direction * (a < b ? -1 : a > b ? 1 : 0);
    });
  }

  /** `POST /volumes` (§15.3): 200, the bare volume in `creating`, `available` after {@link delays}.create. */
  create(zone: ScalewayZone, body: unknown): ScalewayVolumeRecord {
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const project = readOptionalString(body, 'project_id');
    if (project === undefined) {
      // UNCONFIRMED (docs/scaleway-api.md §15.3): every SDK fills `project_id`; the answer without it was not recorded.
      throw invalidArguments([
        { argument_name: 'project_id', reason: 'required', help_message: 'required key not provided' },
      ]);
    }
    this.#state.checkAccess(project, 'write', 'volume');
    const name = readOptionalString(body, 'name') ?? `vol-${this.#state.newId().slice(0, 8)}`;
    if (name === '') {
      // §15.3: `name` has a minimum length of 1 (the SDK's validation rules).
      throw invalidArguments([
        { argument_name: 'name', reason: 'constraint', help_message: 'must not be empty' },
      ]);
    }
    const fromEmpty = body.from_empty ?? undefined;
    const fromSnapshot = body.from_snapshot ?? undefined;
    if ((fromEmpty === undefined) === (fromSnapshot === undefined)) {
      // UNCONFIRMED (docs/scaleway-api.md §15.3): the answer was not recorded; worded like §4.1's project/organization.
      throw invalidArguments([
        {
          argument_name: 'from_empty',
          reason: fromEmpty === undefined ? 'required' : 'constraint',
          help_message: 'precisely one of from_empty, from_snapshot must be set',
        },
      ]);
    }
    if (fromSnapshot !== undefined) {
      // The emulator models no Block snapshots.
      throw invalidArguments([
        {
          argument_name: 'from_snapshot',
          reason: 'constraint',
          help_message: 'volumes from snapshots are not supported by the emulator; use from_empty',
        },
      ]);
    }
    if (!isObject(fromEmpty)) {
      throw invalidArguments([
        { argument_name: 'from_empty', reason: 'format', help_message: 'must be an object with size' },
      ]);
    }
    const size = readSize(fromEmpty.size, 'from_empty.size');
    const perfIops = readPerfIops(body.perf_iops) ?? DEFAULT_PERF_IOPS;
    const tags = readTags(body.tags);
    const kmsKeyId = readOptionalString(body, 'kms_key_id') ?? null;
    // UNCONFIRMED (docs/scaleway-api.md §15.8): no Block quota error was recorded; the platform-wide body is used.
    this.#state.checkVolumeQuota(project, 1, 'volume');
    const volume = this.newRecord({ zone, project, name, size, perfIops, tags, kmsKeyId });
    volume.operation = 'creating';
    this.#state.clock.schedule(this.#delays.create, () => {
      if (this.#state.volumes.get(volume.id) !== volume || volume.operation !== 'creating') return;
      volume.operation = null;
      volume.modificationDate = this.#state.now().text;
    });
    return volume;
  }

  /**
   * `PATCH /volumes/{id}` (§15.6): `name` and `tags` at once; a larger `size` or another `perf_iops` answers
   * `updating` with the old values and applies after {@link delays}.update, also while `in_use`.
   */
  update(zone: ScalewayZone, id: string, body: unknown): ScalewayVolumeRecord {
    const volume = this.volume(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    const name = readOptionalString(body, 'name');
    if (name === '') {
      throw invalidArguments([
        { argument_name: 'name', reason: 'constraint', help_message: 'must not be empty' },
      ]);
    }
    const size = body.size === undefined || body.size === null ? undefined : readSize(body.size, 'size');
    const perfIops = readPerfIops(body.perf_iops);
    const tags = body.tags === undefined || body.tags === null ? undefined : readTags(body.tags);

    const currentSize = volume.pendingUpdate?.size ?? volume.size;
    const currentIops = volume.pendingUpdate?.perfIops ?? volume.perfIops;
    if (size !== undefined && size < currentSize) {
      // UNCONFIRMED (docs/scaleway-api.md §15.6): only growth is allowed; the refusal of a shrink was never recorded.
      throw invalidArguments([
        {
          argument_name: 'size',
          reason: 'constraint',
          help_message: `the volume can only grow: size must be at least ${currentSize} bytes`,
        },
      ]);
    }
    const change: { size?: number; perfIops?: number } = {};
    if (size !== undefined && size > currentSize) change.size = size;
    // UNCONFIRMED (docs/scaleway-api.md §15.6): 15000 → 5000 was never recorded; both directions are accepted.
    if (perfIops !== undefined && perfIops !== currentIops) change.perfIops = perfIops;
    const resizing = Object.keys(change).length > 0;
    if (resizing && volume.operation === 'creating') {
      // UNCONFIRMED (docs/scaleway-api.md §15.6): a resize while `creating` was not recorded.
      throw transientState('volume', volume.id, 'creating');
    }

    if (name !== undefined) volume.name = name;
    if (tags !== undefined) volume.tags = tags;
    if (name !== undefined || tags !== undefined) volume.modificationDate = this.#state.now().text;
    if (resizing) {
      // §15.6: a PATCH while already `updating` was accepted; the changes add up.
      const pending = { ...volume.pendingUpdate, ...change };
      volume.pendingUpdate = pending;
      volume.operation = 'updating';
      this.#state.clock.schedule(this.#delays.update, () => {
        if (this.#state.volumes.get(volume.id) !== volume || volume.pendingUpdate !== pending) return;
        if (pending.size !== undefined) volume.size = pending.size;
        if (pending.perfIops !== undefined) volume.perfIops = pending.perfIops;
        volume.pendingUpdate = null;
        volume.operation = null;
        volume.modificationDate = this.#state.now().text;
      });
    }
    return volume;
  }

  /** `DELETE /volumes/{id}` (§15.7): 204 only when `available` with no references. */
  delete(zone: ScalewayZone, id: string): void {
    const volume = this.volume(zone, id, 'delete');
    if (volume.serverId !== null) {
      // UNCONFIRMED (docs/scaleway-api.md §15.7): the Block API's answer for an in-use volume was not recorded.
      throw preconditionFailed(
        'resource_still_in_use',
        'the volume is attached to a server; detach it first',
      );
    }
    if (volume.operation !== null) {
      // UNCONFIRMED (docs/scaleway-api.md §15.7): deleting a `creating` / `updating` volume was not recorded.
      throw transientState('volume', volume.id, volume.operation);
    }
    this.#state.volumes.delete(volume.id);
  }

  /** A new Block volume record, `available` and detached, in the store. */
  newRecord(input: BlockVolumeInput): ScalewayVolumeRecord {
    const created = this.#state.now(input.createdAt).text;
    const volume: ScalewayVolumeRecord = {
      id: this.#state.newId(),
      zone: input.zone,
      project: input.project,
      organization: this.#state.organizationOf(input.project),
      name: input.name,
      volumeType: 'sbs_volume',
      size: input.size,
      serverId: null,
      tags: input.tags ?? [],
      parentSnapshotId: input.parentSnapshotId ?? null,
      creationDate: created,
      modificationDate: created,
      lastDetachedAt: null,
      referenceCreatedAt: null,
      referenceStatus: null,
      operation: null,
      perfIops: input.perfIops ?? DEFAULT_PERF_IOPS,
      pendingUpdate: null,
      kmsKeyId: input.kmsKeyId ?? null,
      generation: 0,
    };
    this.#state.volumes.set(volume.id, volume);
    return volume;
  }

  /** A Block volume without a request (the caller attaches it, if asked). */
  seed(seed: ScalewaySeedBlockVolume): ScalewayVolumeRecord {
    const size = seed.size ?? 10 * GB;
    const perfIops = seed.perfIops ?? DEFAULT_PERF_IOPS;
    if (!PERF_IOPS.includes(perfIops)) throw new Error(`perfIops must be one of ${PERF_IOPS.join(', ')}`);
    return this.newRecord({
      zone: seed.zone ?? 'fr-par-1',
      project: seed.project ?? this.#state.projectId,
      name: seed.name ?? `seeded-volume-${this.#seeded++}`,
      size,
      perfIops,
      tags: [...(seed.tags ?? [])],
      createdAt: seed.createdAt,
    });
  }

  /**
   * Why `volume` cannot be attached now, if it cannot (§15.9: clients wait for `available` with no references).
   * UNCONFIRMED (docs/scaleway-api.md §15.13, §15.15): none of these refusals was recorded.
   */
  checkAttachable(volume: ScalewayVolumeRecord): void {
    if (volume.operation !== null) throw transientState('volume', volume.id, volume.operation);
    if (volume.serverId !== null) {
      throw preconditionFailed(
        'resource_still_in_use',
        `volume ${volume.id} is in use by server ${volume.serverId}`,
      );
    }
  }

  /**
   * Reference `server` and put the volume in `server.volumes[slot]`. `lagging`: the reference is `attaching` and
   * becomes `attached` after {@link delays}.attach (§15.9 `attach-volume`); otherwise `attached` at once (a create).
   */
  attach(volume: ScalewayVolumeRecord, server: ScalewayServerRecord, slot: string, lagging = false): void {
    const generation = ++volume.generation;
    volume.serverId = server.id;
    volume.referenceCreatedAt = this.#state.now().text;
    volume.referenceStatus = lagging ? 'attaching' : 'attached';
    volume.modificationDate = volume.referenceCreatedAt;
    server.volumes[slot] = volume.id;
    if (!lagging) return;
    this.#state.clock.schedule(this.#delays.attach, () => {
      if (volume.generation !== generation) return;
      volume.referenceStatus = 'attached';
    });
  }

  /**
   * Drop the reference. The caller has already taken the volume out of the server's map. `lagging`: the
   * reference stays `detaching` (status `in_use`) for the detach delay of the server's state (§15.9); otherwise the
   * volume is `available` at once (server `DELETE` and `terminate`, §15.10).
   */
  detach(volume: ScalewayVolumeRecord, lagging?: { serverRunning: boolean }): void {
    const generation = ++volume.generation;
    if (lagging === undefined) {
      this.#release(volume);
      return;
    }
    volume.referenceStatus = 'detaching';
    const delay = lagging.serverRunning ? this.#delays.detachRunning : this.#delays.detachStopped;
    this.#state.clock.schedule(delay, () => {
      if (volume.generation === generation) this.#release(volume);
    });
  }

  #release(volume: ScalewayVolumeRecord): void {
    volume.serverId = null;
    volume.referenceCreatedAt = null;
    volume.referenceStatus = null;
    volume.lastDetachedAt = this.#state.now().text;
    volume.modificationDate = volume.lastDetachedAt;
  }
}

/** §15.2, §15.8: an integer number of bytes, whole GB, 1 GB to 10 TB. */
function readSize(value: unknown, argumentName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidArguments([
      { argument_name: argumentName, reason: 'format', help_message: 'must be a size in bytes' },
    ]);
  }
  // UNCONFIRMED (docs/scaleway-api.md §15.8): out-of-range and non-GB sizes were never recorded; refused.
  if (value < MIN_SIZE || value > MAX_SIZE || value % GB !== 0) {
    throw invalidArguments([
      {
        argument_name: argumentName,
        reason: 'constraint',
        help_message: `must be a whole number of GB (10^9 bytes) between ${MIN_SIZE} and ${MAX_SIZE}`,
      },
    ]);
  }
  return value;
}

/** §15.3: 5000 or 15000; absent or null → `undefined`. */
function readPerfIops(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !PERF_IOPS.includes(value)) {
    // UNCONFIRMED (docs/scaleway-api.md §15.8): the answer to another IOPS value was not recorded.
    throw invalidArguments([
      {
        argument_name: 'perf_iops',
        reason: 'constraint',
        help_message: `must be one of ${PERF_IOPS.join(', ')}`,
      },
    ]);
  }
  return value;
}
