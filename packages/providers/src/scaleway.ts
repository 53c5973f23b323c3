import type { VMSize } from '@simple-agent-manager/shared';
import { throwIfProviderRequestAborted, withAbortReason } from './abort.js';
import { isProviderError, withMessage } from './errors.js';
import { type Leftover, type LeftoverSweep, leftoverSweep } from './leftovers.js';
import { powerScalewayServer } from './scaleway-actions.js';
import { SCALEWAY_SIZES } from './scaleway-catalog.js';
import {
  createScalewayContext,
  SCALEWAY_PROVIDER,
  type ScalewayContext,
  scalewayLabelsSchema,
  scalewayVMConfigSchema,
  scalewayZoneOffering,
} from './scaleway-config.js';
import { createScalewayServer } from './scaleway-create.js';
import { parseScalewayServerId } from './scaleway-ids.js';
import { ScalewayImages } from './scaleway-images.js';
import { findScalewayServer, listScalewayVMs } from './scaleway-listing.js';
import { mapScalewayServer } from './scaleway-mappers.js';
import { findScalewayLeftovers } from './scaleway-ownership.js';
import {
  deleteOwnedScalewayVolumes,
  deleteScalewayLeftover,
  destroyScalewayServer,
} from './scaleway-teardown.js';
import {
  attachScalewayVolume,
  createScalewayVolume,
  deleteScalewayVolume,
  detachScalewayVolume,
  getScalewayVolume,
  listScalewayVolumes,
  resizeScalewayVolume,
  SCALEWAY_VOLUME_CAPABILITIES,
} from './scaleway-volumes.js';
import type {
  LocationMetadata,
  Provider,
  ProviderRequestContext,
  ScalewayProviderConfig,
  SizeConfig,
  VMConfig,
  VMInstance,
} from './types.js';
import { parseInput } from './validation.js';
import type {
  VolumeAttachmentConfig,
  VolumeCapabilities,
  VolumeConfig,
  VolumeDetachConfig,
  VolumeInstance,
  VolumeListConfig,
  VolumeLookupConfig,
  VolumeResizeConfig,
} from './volume-types.js';

const PROVIDER = SCALEWAY_PROVIDER;

/**
 * Scaleway Instance API v1 (docs/scaleway-api.md). VM ids are `{zone}/{uuid}`, so every call by id costs one request in
 * the right zone; bare UUIDs (from older records) are looked up in the default zone, then in the others at once.
 */
export class ScalewayProvider implements Provider, LeftoverSweep {
  readonly name = PROVIDER;
  readonly locations: readonly string[];
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>>;
  readonly sizes: Readonly<Record<VMSize, SizeConfig>> = SCALEWAY_SIZES;
  readonly defaultLocation: string;
  /** docs/scaleway-api.md §15: Block Storage volumes, 1–10 000 GB, 15 beside the boot volume. */
  readonly volumeCapabilities: VolumeCapabilities = SCALEWAY_VOLUME_CAPABILITIES;
  readonly #context: ScalewayContext;
  readonly #images: ScalewayImages;
  readonly #sweep: LeftoverSweep;

  constructor(config: Omit<ScalewayProviderConfig, 'provider'> & { provider?: 'scaleway' }) {
    this.#context = createScalewayContext(config);
    this.#images = new ScalewayImages(this.#context.client);
    this.defaultLocation = this.#context.zone;
    this.locationMetadata = this.#context.locationMetadata;
    this.locations = this.#context.locations;
    this.#sweep = leftoverSweep(
      PROVIDER,
      scalewayLabelsSchema,
      (labels, signal) => findScalewayLeftovers(this.#context, labels, { signal }),
      (leftover, signal) => deleteScalewayLeftover(this.#context, leftover, { signal }),
    );
  }

  /**
   * Three steps (docs/scaleway-api.md §4.2): `POST /servers` (stopped) → cloud-init as text/plain → `poweron`. Resolves
   * when poweron is accepted, with status `starting` and no IP yet. Anything failing after the POST, or an abort,
   * deletes the server and its volumes before rejecting.
   */
  createVM(config: VMConfig, context: ProviderRequestContext = {}): Promise<VMInstance> {
    return withAbortReason(context, async () => {
      const valid = parseInput(PROVIDER, scalewayVMConfigSchema, config, 'vm');
      const zone = scalewayZoneOffering(this.#context, valid.location, valid.size);
      throwIfProviderRequestAborted(context);
      return createScalewayServer(this.#context, this.#images, zone, valid, context);
    });
  }

  /**
   * Delete the server from any state, then its boot volume (docs/scaleway-api.md §6.4); data volumes are detached
   * and kept. Waits only for a transient state to settle or the boot volume to detach, at most `waitTimeoutMs`.
   */
  deleteVM(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return withAbortReason(context, async () => {
      throwIfProviderRequestAborted(context);
      // An id this provider could never have issued names no VM: there is nothing to delete (SAM contract §1).
      const ref = parseScalewayServerId(id);
      if (ref === undefined) return;
      const found = await findScalewayServer(this.#context, ref, context.signal);
      if (found !== undefined) {
        await destroyScalewayServer(this.#context, found.zone, found.server, { signal: context.signal });
        return;
      }
      // Gone already (an earlier deleteVM removed the server): finish what it left, found by the marks it wrote,
      // in its zone (every zone for a bare UUID, which names none).
      const zones = ref.zone === '' ? this.#context.zones : [ref.zone];
      const results = await Promise.allSettled(
        zones.map((zone) =>
          deleteOwnedScalewayVolumes(this.#context, zone, ref.uuid, { signal: context.signal }),
        ),
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    });
  }

  async getVM(id: string, context: ProviderRequestContext = {}): Promise<VMInstance | null> {
    throwIfProviderRequestAborted(context);
    const ref = parseScalewayServerId(id);
    if (ref === undefined) return null;
    const found = await findScalewayServer(this.#context, ref, context.signal);
    return found === undefined ? null : mapScalewayServer(found.server, found.zone);
  }

  /**
   * Every zone at once (bounded), every page (page 1, then the rest at once from `X-Total-Count`), filtered by
   * project and tags on the server and by exact labels here. A failing zone fails the whole call, naming the zone.
   */
  async listVMs(
    labels: Record<string, string> = {},
    context: ProviderRequestContext = {},
  ): Promise<VMInstance[]> {
    const filter = parseInput(PROVIDER, scalewayLabelsSchema, labels, 'labels');
    throwIfProviderRequestAborted(context);
    return listScalewayVMs(this.#context, filter, context.signal);
  }

  powerOff(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return powerScalewayServer(this.#context, id, 'poweroff', context.signal);
  }

  powerOn(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return powerScalewayServer(this.#context, id, 'poweron', context.signal);
  }

  /**
   * docs/scaleway-api.md §2.3: reading the project proves key and project together (401: the key is rejected; 404:
   * the project is not the key's). A key without Account permission (403) is checked against what the provider
   * needs: listing the project's servers. Resolves `true` or rejects; never `false`.
   */
  async validateToken(context: ProviderRequestContext = {}): Promise<boolean> {
    throwIfProviderRequestAborted(context);
    const { signal } = context;
    const { client, projectId } = this.#context;
    try {
      await client.getProject(projectId, { signal });
      return true;
    } catch (error) {
      if (!isProviderError(error, 'permission')) throw rejectedCredentials(error);
    }
    try {
      await client.listServers(this.#context.zone, { project: projectId, page: 1, perPage: 1 }, { signal });
      return true;
    } catch (error) {
      throw rejectedCredentials(error);
    }
  }

  /**
   * Beside SAM's interface: in every zone (and carrying `labels`, when given), the boot volumes that the library
   * marked as a VM's own and that are still there, unattached, although their VM is gone, and the servers of creates
   * that never finished (docs/scaleway-api.md §6.5). Never a data volume. Three lists per zone (more pages for many
   * servers), plus one read per VM a marked volume names and per old stopped server of the library's. Flexible IPs
   * are never made by this provider (servers take a dynamic IP, which goes with them, §4.2), so none is reported.
   */
  findLeftovers(
    labels: Record<string, string> = {},
    context: ProviderRequestContext = {},
  ): Promise<Leftover[]> {
    return this.#sweep.findLeftovers(labels, context);
  }

  /** Delete what {@link findLeftovers} finds, or exactly a list it found; see {@link LeftoverSweep.deleteLeftovers}. */
  deleteLeftovers(
    selection: Record<string, string> | readonly Leftover[] = {},
    context: ProviderRequestContext = {},
  ): Promise<Leftover[]> {
    return this.#sweep.deleteLeftovers(selection, context);
  }

  /** A Block Storage volume (sbs_5k), tagged with its labels; resolves while it may still be `creating`. */
  createVolume(config: VolumeConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance> {
    return withAbortReason(context, () => createScalewayVolume(this.#context, config, context));
  }

  attachVolume(
    config: VolumeAttachmentConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance> {
    return withAbortReason(context, () => attachScalewayVolume(this.#context, config, context));
  }

  detachVolume(
    config: VolumeDetachConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance | null> {
    return withAbortReason(context, () => detachScalewayVolume(this.#context, config, context));
  }

  resizeVolume(config: VolumeResizeConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance> {
    return withAbortReason(context, () => resizeScalewayVolume(this.#context, config, context));
  }

  deleteVolume(config: VolumeLookupConfig, context: ProviderRequestContext = {}): Promise<void> {
    return withAbortReason(context, () => deleteScalewayVolume(this.#context, config, context));
  }

  getVolume(
    config: VolumeLookupConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance | null> {
    return getScalewayVolume(this.#context, config, context);
  }

  listVolumes(config: VolumeListConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance[]> {
    return listScalewayVolumes(this.#context, config, context);
  }
}

/**
 * The credentials were refused (or could not be checked): the same error, saying so. A rejection by Scaleway is
 * non-retryable (`auth`, `permission`, `not_found`); an outage or network failure stays retryable.
 */
function rejectedCredentials(error: unknown): unknown {
  if (!isProviderError(error, 'auth', 'permission', 'not_found')) return error;
  return withMessage(error, `Scaleway rejected the credentials: ${error.message}`);
}
