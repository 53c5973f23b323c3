import type { VMSize } from '@simple-agent-manager/shared';
import { throwIfProviderRequestAborted, withAbortReason } from './abort.js';
import { isProviderError, withMessage } from './errors.js';
import { HETZNER_LOCATION_METADATA, HETZNER_SIZES } from './hetzner-catalog.js';
import {
  createHetznerContext,
  HETZNER_CREATABLE_LOCATIONS,
  HETZNER_PROVIDER,
  type HetznerContext,
  hetznerLabelsSchema,
  hetznerLocationsOffering,
  hetznerServerIdSchema,
  hetznerVMConfigSchema,
} from './hetzner-config.js';
import { deleteHetznerLeftover, findHetznerLeftovers } from './hetzner-leftovers.js';
import { listHetznerVMs } from './hetzner-listing.js';
import { mapHetznerServer } from './hetzner-mappers.js';
import { hetznerServerResponseSchema } from './hetzner-schemas.js';
import { createHetznerServer, deleteHetznerServer } from './hetzner-servers.js';
import {
  attachHetznerVolume,
  createHetznerVolume,
  deleteHetznerVolume,
  detachHetznerVolume,
  getHetznerVolume,
  HETZNER_VOLUME_CAPABILITIES,
  listHetznerVolumes,
  resizeHetznerVolume,
} from './hetzner-volumes.js';
import { type Leftover, type LeftoverSweep, leftoverSweep } from './leftovers.js';
import type {
  HetznerProviderConfig,
  LocationMetadata,
  Provider,
  ProviderRequestContext,
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

const PROVIDER = HETZNER_PROVIDER;

/** Hetzner Cloud, the reference provider (docs/hetzner-api.md). */
export class HetznerProvider implements Provider, LeftoverSweep {
  readonly name = PROVIDER;
  readonly locations: readonly string[] = HETZNER_CREATABLE_LOCATIONS;
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>> = HETZNER_LOCATION_METADATA;
  readonly sizes: Readonly<Record<VMSize, SizeConfig>> = HETZNER_SIZES;
  readonly defaultLocation: string;
  /** docs/hetzner-api.md "Volumes": 10–10 240 GB (SAM uses up to 10 000), 16 per server, same location only. */
  readonly volumeCapabilities: VolumeCapabilities = HETZNER_VOLUME_CAPABILITIES;
  readonly #context: HetznerContext;
  readonly #sweep: LeftoverSweep;

  constructor(config: Omit<HetznerProviderConfig, 'provider'> & { provider?: 'hetzner' }) {
    this.#context = createHetznerContext(config);
    this.defaultLocation = this.#context.defaultLocation;
    this.#sweep = leftoverSweep(
      PROVIDER,
      hetznerLabelsSchema,
      (labels, signal) => findHetznerLeftovers(this.#context, labels, signal),
      (leftover, signal) => deleteHetznerLeftover(this.#context, leftover, signal),
    );
  }

  /**
   * One `POST /servers` that starts the server; a lost answer is recovered by the server's (unique) name. Missing
   * capacity and failed placements are retried and fall back to other locations as `createWithCapacity`
   * (hetzner-create.ts) describes; the result's `location` says where the VM landed.
   */
  createVM(config: VMConfig, context: ProviderRequestContext = {}): Promise<VMInstance> {
    return withAbortReason(context, async () => {
      const valid = parseInput(PROVIDER, hetznerVMConfigSchema, config, 'vm');
      const offering = hetznerLocationsOffering(valid.location, valid.size);
      throwIfProviderRequestAborted(context);
      return createHetznerServer(this.#context, valid, offering, context);
    });
  }

  /**
   * docs/hetzner-api.md "Servers": DELETE works in any state and takes the primary IPs with the server; Hetzner
   * detaches its data volumes and keeps them ("Volumes"). An id this provider could never have issued names no VM: it
   * resolves without a request (SAM contract §1).
   */
  deleteVM(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return deleteHetznerServer(this.#context, id, context);
  }

  async getVM(id: string, context: ProviderRequestContext = {}): Promise<VMInstance | null> {
    throwIfProviderRequestAborted(context);
    if (!hetznerServerIdSchema.safeParse(id).success) return null;
    try {
      const { data } = await this.#context.client.request({
        method: 'GET',
        path: `/servers/${id}`,
        schema: hetznerServerResponseSchema,
        signal: context.signal,
      });
      return mapHetznerServer(data.server);
    } catch (error) {
      if (isProviderError(error, 'not_found')) return null;
      throw error;
    }
  }

  async listVMs(
    labels: Record<string, string> = {},
    context: ProviderRequestContext = {},
  ): Promise<VMInstance[]> {
    const filter = parseInput(PROVIDER, hetznerLabelsSchema, labels, 'labels');
    throwIfProviderRequestAborted(context);
    return listHetznerVMs(this.#context, filter, context.signal);
  }

  powerOff(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#action(id, 'poweroff', context);
  }

  powerOn(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#action(id, 'poweron', context);
  }

  /**
   * docs/hetzner-api.md "Token check": `GET /servers?per_page=1` answers 200 for a valid token, 401 otherwise.
   * Resolves `true`, or rejects: non-retryable when Hetzner refused the token, retryable when it could not tell.
   */
  async validateToken(context: ProviderRequestContext = {}): Promise<boolean> {
    throwIfProviderRequestAborted(context);
    try {
      await this.#context.client.request({
        method: 'GET',
        path: '/servers',
        query: { per_page: 1 },
        signal: context.signal,
      });
      return true;
    } catch (error) {
      if (!isProviderError(error, 'auth', 'permission', 'not_found')) throw error;
      throw withMessage(error, `Hetzner rejected the API token: ${error.message}`);
    }
  }

  /**
   * One `POST /volumes` in `location`, unformatted (SAM formats on the node); a lost answer is recovered by the
   * volume's (unique) name. Resolves while it may still be `creating`.
   */
  createVolume(config: VolumeConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance> {
    return withAbortReason(context, () => createHetznerVolume(this.#context, config, context));
  }

  /** Attach and wait for the action; idempotent. A server still booting (`locked`) is waited for, within `waitTimeoutMs`. */
  attachVolume(
    config: VolumeAttachmentConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance> {
    return withAbortReason(context, () => attachHetznerVolume(this.#context, config, context));
  }

  /** Detach and wait for the action; idempotent (`null` when the volume is gone). */
  detachVolume(
    config: VolumeDetachConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance | null> {
    return withAbortReason(context, () => detachHetznerVolume(this.#context, config, context));
  }

  /** Grow only, refused before the POST otherwise; waits for the resize action. */
  resizeVolume(config: VolumeResizeConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance> {
    return withAbortReason(context, () => resizeHetznerVolume(this.#context, config, context));
  }

  /** Idempotent; an attached volume is refused with a `conflict` naming the VM, never detached behind the caller. */
  deleteVolume(config: VolumeLookupConfig, context: ProviderRequestContext = {}): Promise<void> {
    return withAbortReason(context, () => deleteHetznerVolume(this.#context, config, context));
  }

  getVolume(
    config: VolumeLookupConfig,
    context: ProviderRequestContext = {},
  ): Promise<VolumeInstance | null> {
    return getHetznerVolume(this.#context, config, context);
  }

  listVolumes(config: VolumeListConfig, context: ProviderRequestContext = {}): Promise<VolumeInstance[]> {
    return listHetznerVolumes(this.#context, config, context);
  }

  /**
   * Beside SAM's interface: the unassigned Primary and Floating IPs carrying the mark `sam-owned` (and `labels`,
   * when given); an unmarked IP is never touched. A VM of this provider leaves nothing else: its disk and its
   * auto-created primary IPs go with it, and every Hetzner volume is a data volume, never swept. Two lists (paged).
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

  async #action(id: string, action: 'poweron' | 'poweroff', context: ProviderRequestContext): Promise<void> {
    throwIfProviderRequestAborted(context);
    const serverId = parseInput(PROVIDER, hetznerServerIdSchema, id, 'id');
    // Power actions converge on a state, so repeating one is harmless.
    await this.#context.client.request({
      method: 'POST',
      path: `/servers/${serverId}/actions/${action}`,
      idempotent: true,
      signal: context.signal,
    });
  }
}
