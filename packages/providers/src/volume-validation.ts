import { z } from 'zod';
import { invalidInput } from './errors.js';
import { parseInput } from './validation.js';
import type {
  VolumeAttachmentConfig,
  VolumeCapabilities,
  VolumeConfig,
  VolumeDetachConfig,
  VolumeListConfig,
  VolumeLookupConfig,
  VolumeResizeConfig,
} from './volume-types.js';

/** How a provider spells what volume inputs it accepts. */
export interface VolumeRules {
  provider: string;
  capabilities: VolumeCapabilities;
  /** The provider's volume name rules. */
  name: z.ZodType<string>;
  /** The provider's label rules (the same as for VMs). */
  labels: z.ZodType<Record<string, string>>;
  /** A volume id this provider could have issued. */
  volumeId: z.ZodType<string>;
  /** A VM id this provider could have issued. */
  serverId: z.ZodType<string>;
  /** The locations volumes can live in. */
  locations: readonly string[];
}

const location = (locations: readonly string[]) =>
  z.string().refine((value) => locations.includes(value), `must be one of ${locations.join(', ')}`);

/** A size in GB within the capabilities: a whole number (providers bill and resize in whole GB). */
function sizeGb(capabilities: VolumeCapabilities) {
  const min = capabilities.minSizeGb ?? 1;
  const max = capabilities.maxSizeGb ?? Number.MAX_SAFE_INTEGER;
  return z
    .number({ error: 'must be a number of GB' })
    .int('must be a whole number of GB')
    .min(min, `must be at least ${min} GB`)
    .max(max, `must be at most ${max} GB`);
}

/** `createVolume`'s input, validated before any request. */
export function parseVolumeConfig(rules: VolumeRules, config: VolumeConfig) {
  return parseInput(
    rules.provider,
    z.object({
      name: rules.name,
      sizeGb: sizeGb(rules.capabilities),
      location: location(rules.locations),
      labels: rules.labels.optional(),
      format: z.literal('ext4', { error: 'must be ext4' }).optional(),
    }),
    config,
    'volume',
  );
}

/** `attachVolume`'s input. */
export function parseAttachment(rules: VolumeRules, config: VolumeAttachmentConfig) {
  return parseInput(
    rules.provider,
    z.object({ volumeId: rules.volumeId, serverId: rules.serverId, location: location(rules.locations) }),
    config,
    'volume',
  );
}

/** `detachVolume`'s input. */
export function parseDetachment(rules: VolumeRules, config: VolumeDetachConfig) {
  return parseInput(
    rules.provider,
    z.object({
      volumeId: rules.volumeId,
      serverId: rules.serverId.optional(),
      location: location(rules.locations),
    }),
    config,
    'volume',
  );
}

/** `resizeVolume`'s input; a size not above `currentSizeGb` is refused here, before any request. */
export function parseResize(rules: VolumeRules, config: VolumeResizeConfig) {
  const valid = parseInput(
    rules.provider,
    z.object({
      volumeId: rules.volumeId,
      location: location(rules.locations),
      sizeGb: sizeGb(rules.capabilities),
      currentSizeGb: z.number().int().nonnegative().optional(),
    }),
    config,
    'volume',
  );
  if (valid.currentSizeGb !== undefined && valid.sizeGb <= valid.currentSizeGb) {
    throw shrinkRefused(rules.provider, valid.sizeGb, valid.currentSizeGb);
  }
  return valid;
}

/** The refusal of a resize that would not grow the volume. */
export function shrinkRefused(provider: string, sizeGb: number, currentSizeGb: number) {
  return invalidInput(
    provider,
    'volume.sizeGb',
    `${sizeGb} GB does not grow the volume (${currentSizeGb} GB now): volumes only grow`,
  );
}

/** `getVolume` and `deleteVolume`'s input. */
export function parseLookup(rules: VolumeRules, config: VolumeLookupConfig) {
  return parseInput(
    rules.provider,
    z.object({ volumeId: rules.volumeId, location: location(rules.locations) }),
    config,
    'volume',
  );
}

/** `listVolumes`' input. */
export function parseVolumeList(rules: VolumeRules, config: VolumeListConfig) {
  return parseInput(
    rules.provider,
    z.object({ location: location(rules.locations), labels: rules.labels.optional() }),
    config,
    'volume',
  );
}
