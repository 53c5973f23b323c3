import { abortable, rethrowIfProviderRequestAborted } from './abort.js';
import { invalidInput, isProviderError } from './errors.js';
import type { ScalewayClient } from './scaleway-client.js';
import { SCALEWAY_PROVIDER } from './scaleway-config.js';
import { SCALEWAY_UUID } from './scaleway-ids.js';

/** The image cache key; §10.2: labels use "_" where people write "-". */
function imageKey(zone: string, image: string, commercialType: string): string {
  return `${zone}|${image.replaceAll('-', '_')}|${commercialType}`;
}

/**
 * Image resolution (docs/scaleway-api.md §10): Marketplace labels → zone-local image UUIDs, cached per provider, so
 * that a fleet costs one lookup per (zone, label, commercial type).
 */
export class ScalewayImages {
  readonly #client: ScalewayClient;
  /** (zone, label, commercial type) → image UUID: settled results only, safe to share across requests. */
  readonly #imageIds = new Map<string, string>();
  /**
   * Lookups in flight, each run by one caller with its own signal. Another caller may join one, but never inherits
   * its failure: the owner's abort, its error, or (in Workers) the end of the request that started it make the
   * joiner look the image up itself.
   */
  readonly #imageLookups = new Map<string, Promise<string>>();

  constructor(client: ScalewayClient) {
    this.#client = client;
  }

  /** §10: a UUID is used as is; a label is resolved per zone, once per (zone, label, commercial type). */
  async resolve(zone: string, image: string, commercialType: string, signal: AbortSignal | undefined) {
    if (SCALEWAY_UUID.test(image)) return image;
    const key = imageKey(zone, image, commercialType);
    const label = key.split('|')[1] as string;
    const known = this.#imageIds.get(key);
    if (known !== undefined) return known;
    const inFlight = this.#imageLookups.get(key);
    if (inFlight !== undefined) {
      try {
        return await abortable(inFlight, { signal });
      } catch (error) {
        // Our own abort ends the call; anyone else's failure only means we look it up ourselves.
        rethrowIfProviderRequestAborted(error, { signal });
      }
    }
    const lookup = this.#lookup(zone, label, commercialType, signal);
    this.#imageLookups.set(key, lookup);
    try {
      const id = await lookup;
      this.#imageIds.set(key, id);
      return id;
    } finally {
      if (this.#imageLookups.get(key) === lookup) this.#imageLookups.delete(key);
    }
  }

  /** Drop a cached resolution (the zone no longer has the image). */
  forget(zone: string, image: string, commercialType: string): void {
    this.#imageIds.delete(imageKey(zone, image, commercialType));
  }

  async #lookup(
    zone: string,
    label: string,
    commercialType: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    let images: Awaited<ReturnType<ScalewayClient['localImages']>>;
    try {
      images = await this.#client.localImages(zone, label, { signal });
    } catch (error) {
      if (isProviderError(error, 'not_found')) {
        throw invalidInput(SCALEWAY_PROVIDER, 'vm.image', `unknown image label "${label}" in ${zone}`);
      }
      throw error;
    }
    const compatible = images.filter((image) =>
      (image.compatible_commercial_types ?? []).some((type) => type.toUpperCase() === commercialType),
    );
    // Local storage first: DEV1/GP1 boot from their local SSD; an SBS root only when no local image exists.
    const chosen =
      compatible.find((image) => image.type === 'instance_local') ??
      compatible.find((image) => image.type === 'instance_sbs');
    if (chosen === undefined) {
      throw invalidInput(
        SCALEWAY_PROVIDER,
        'vm.image',
        `no "${label}" image in ${zone} is compatible with ${commercialType}`,
      );
    }
    return chosen.id;
  }
}
