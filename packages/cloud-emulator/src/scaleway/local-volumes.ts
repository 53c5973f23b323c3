import type { ScalewayZone } from './catalog.js';
import { invalidRequest, notFound } from './errors.js';
import type { ScalewayServerRecord, ScalewayVolumeRecord } from './records.js';
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

  /** `GET /volumes` filters (`project`, `name` partial, `volume_type`); paging by the caller. */
  list(zone: ScalewayZone, query: URLSearchParams): ScalewayVolumeRecord[] {
    const project = query.get('project');
    const name = query.get('name');
    const volumeType = query.get('volume_type');
    return [...this.#state.volumes.values()].filter(
      (volume) =>
        volume.zone === zone &&
        volume.volumeType === 'l_ssd' &&
        this.#state.canAccess(volume.project) &&
        (project === null || volume.project === project) &&
        (name === null || volume.name.includes(name)) &&
        (volumeType === null || volumeType === 'l_ssd'),
    );
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
