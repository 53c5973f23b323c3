import { ProviderError } from './errors.js';
import {
  SAM_VOLUME_FILESYSTEM_FORMAT,
  SAM_VOLUME_LIFECYCLE,
  type VolumeCapabilities,
} from './volume-types.js';

/**
 * The capabilities of a provider whose block volumes this version does not drive yet: `supported: false`, with the
 * cloud's real limits (so a caller can plan) and SAM's lifecycle conventions.
 */
export function unsupportedVolumeCapabilities(
  limits: Pick<VolumeCapabilities, 'minSizeGb' | 'maxSizeGb' | 'maxAttachedVolumesPerServer'>,
): VolumeCapabilities {
  return Object.freeze({
    supported: false,
    ...limits,
    growOnlyResize: true,
    requiresSameLocation: true,
    defaultFormat: SAM_VOLUME_FILESYSTEM_FORMAT,
    lifecycle: SAM_VOLUME_LIFECYCLE,
    notes: ['Block volumes are not driven by this version of the provider: every volume method rejects.'],
  });
}

/**
 * The answer of every volume method while `volumeCapabilities.supported` is false: a non-retryable
 * `invalid_request`, before any request (the control plane checks `supported` first, so it never gets here).
 */
export function volumesUnsupported(provider: string, method: string): Promise<never> {
  return Promise.reject(
    new ProviderError({
      provider,
      category: 'invalid_request',
      retryable: false,
      message: `${method}: block volumes are not supported by the ${provider} provider yet (volumeCapabilities.supported is false)`,
    }),
  );
}
