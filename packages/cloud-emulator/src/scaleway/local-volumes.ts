import type { ScalewayZone } from './catalog.js';
import { invalidArguments, invalidRequest, notFound } from './errors.js';
import type { ScalewayServerRecord, ScalewayVolumeRecord } from './records.js';
import { isObject, readTags, splitList } from './request-body.js';
import type { ScalewayAccess, ScalewayState } from './state.js';

/**
 * Local (`l_ssd`) volumes, served by the Instance API only (`/instance/v1/zones/{zone}/volumes`). They are made by
 * a server create, stay behind a server `DELETE` with `"server": null` and go with a `terminate`
 * (docs/scaleway-api.md §6).
 */
export class ScalewayLocalVolumes {
  readonly #state: ScalewayState;

  constructor(state: ScalewayState) {
    this.#state = state;
  }

  /** A local volume: 404 `instance_volume` when unknown in the zone or an SBS volume (§15.13), 403 elsewhere. */
  volume(zone: ScalewayZone, id: string, access: ScalewayAccess): ScalewayVolumeRecord {
    const volume = this.#state.volumes.get(id);
    // UNCONFIRMED (docs/scaleway-api.md §1): SBS volumes are served by the Block API only, local ones by Instance only.
    if (volume === undefined || volume.zone !== zone || volume.volumeType !== 'l_ssd') {
      throw notFound('instance_volume', id);
    }
    this.#state.checkAccess(volume.project, access, 'volume');
    return volume;
  }

  /**
   * `GET /volumes` filters (`project`, `name` partial, `volume_type`, `tags` comma-joined, every one required like
   * the server and IP lists, docs/scaleway-api.md §15.12); paging by the caller.
   */
  list(zone: ScalewayZone, query: URLSearchParams): ScalewayVolumeRecord[] {
    const project = query.get('project');
    const name = query.get('name');
    const volumeType = query.get('volume_type');
    const tags = splitList(query.get('tags'));
    return [...this.#state.volumes.values()].filter(
      (volume) =>
        volume.zone === zone &&
        volume.volumeType === 'l_ssd' &&
        this.#state.canAccess(volume.project) &&
        (project === null || volume.project === project) &&
        (name === null || volume.name.includes(name)) &&
        (volumeType === null || volumeType === 'l_ssd') &&
        tags.every((tag) => volume.tags.includes(tag)),
    );
  }

  /** `PATCH /volumes/{id}` (§15.12, recorded): `name` and `tags` replace what was there; 200 `{volume}`. */
  update(zone: ScalewayZone, id: string, body: unknown): ScalewayVolumeRecord {
    const volume = this.volume(zone, id, 'write');
    if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || body.name === '') {
        throw invalidArguments([
          { argument_name: 'name', reason: 'constraint', help_message: 'must be a non-empty string' },
        ]);
      }
      volume.name = body.name;
    }
    if (body.tags !== undefined && body.tags !== null) volume.tags = readTags(body.tags);
    volume.modificationDate = this.#state.now().text;
    return volume;
  }

  /** `DELETE /volumes/{id}`: only once no server holds it. */
  delete(zone: ScalewayZone, id: string): void {
    const volume = this.volume(zone, id, 'delete');
    // UNCONFIRMED (docs/scaleway-api.md §6.1): the refusal for an attached volume was not recorded.
    if (volume.serverId !== null)
      throw invalidRequest('volume is attached to a server and cannot be deleted');
    this.#state.volumes.delete(volume.id);
  }

  /** A new local volume, detached. */
  create(
    zone: ScalewayZone,
    project: string,
    size: number,
    name: string,
    parentSnapshotId: string | null,
  ): ScalewayVolumeRecord {
    const now = this.#state.now().text;
    const volume: ScalewayVolumeRecord = {
      id: this.#state.newId(),
      zone,
      project,
      organization: this.#state.organizationOf(project),
      name,
      volumeType: 'l_ssd',
      size,
      serverId: null,
      tags: [],
      parentSnapshotId,
      creationDate: now,
      modificationDate: now,
      lastDetachedAt: null,
      referenceCreatedAt: null,
      referenceStatus: null,
      operation: null,
      perfIops: 0,
      pendingUpdate: null,
      kmsKeyId: null,
      generation: 0,
    };
    this.#state.volumes.set(volume.id, volume);
    return volume;
  }

  /** Put `volume` in `server.volumes[slot]`. */
  attach(volume: ScalewayVolumeRecord, server: ScalewayServerRecord, slot: string): void {
    volume.serverId = server.id;
    volume.referenceCreatedAt = this.#state.now().text;
    volume.modificationDate = volume.referenceCreatedAt;
    server.volumes[slot] = volume.id;
  }

  /** §6.1: the volume stays, with `"server": null`. */
  detach(volume: ScalewayVolumeRecord): void {
    volume.serverId = null;
    volume.referenceCreatedAt = null;
    volume.lastDetachedAt = this.#state.now().text;
    volume.modificationDate = volume.lastDetachedAt;
  }
}
