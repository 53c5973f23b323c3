import { invalidArguments, type ScalewayArgumentDetail } from './errors.js';
import type { ScalewayVolumeType } from './records.js';

type Json = Record<string, unknown>;

/** Readers of JSON request bodies: each answers 400 `invalid_arguments` for a value of the wrong type (§7). */

/** A volume a create request asks for (`volumes` map entry, docs/scaleway-api.md §4.1). */
export interface VolumeTemplate {
  id?: string;
  name?: string;
  size?: number;
  volumeType?: ScalewayVolumeType;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requiredArgument(argumentName: string): ScalewayArgumentDetail {
  return { argument_name: argumentName, reason: 'required', help_message: 'required key not provided' };
}

/** §4.1: "Precisely one of Project, Organization must be set"; a default project shares its organization's id. */
export function readProject(body: Json): string {
  const project = readOptionalString(body, 'project');
  const organization = readOptionalString(body, 'organization');
  if (project !== undefined) return project;
  if (organization !== undefined) return organization;
  // UNCONFIRMED (docs/scaleway-api.md §4.1): the answer when both are absent was not recorded.
  throw invalidArguments([
    {
      argument_name: 'project',
      reason: 'required',
      help_message: 'precisely one of project, organization must be set',
    },
  ]);
}

export function readOptionalString(body: Json, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw invalidArguments([{ argument_name: name, reason: 'format', help_message: 'must be a string' }]);
  }
  return value;
}

export function readOptionalBoolean(body: Json, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw invalidArguments([{ argument_name: name, reason: 'format', help_message: 'must be a boolean' }]);
  }
  return value;
}

export function readTags(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string')) {
    throw invalidArguments([
      { argument_name: 'tags', reason: 'format', help_message: 'must be a list of strings' },
    ]);
  }
  return [...(value as string[])];
}

export function readVolumeTemplates(value: unknown): Map<string, VolumeTemplate> {
  const templates = new Map<string, VolumeTemplate>();
  if (value === undefined || value === null) return templates;
  if (!isObject(value)) {
    throw invalidArguments([
      { argument_name: 'volumes', reason: 'format', help_message: 'must be a map of volumes' },
    ]);
  }
  for (const [slot, entry] of Object.entries(value)) {
    if (!/^\d+$/.test(slot) || !isObject(entry)) {
      throw invalidArguments([
        { argument_name: `volumes.${slot}`, reason: 'format', help_message: 'must be a volume template' },
      ]);
    }
    const template: VolumeTemplate = {};
    const id = readOptionalString(entry, 'id');
    if (id !== undefined) template.id = id;
    const name = readOptionalString(entry, 'name');
    if (name !== undefined) template.name = name;
    if (entry.size !== undefined && entry.size !== null) {
      if (typeof entry.size !== 'number' || !Number.isInteger(entry.size) || entry.size <= 0) {
        throw invalidArguments([
          {
            argument_name: `volumes.${slot}.size`,
            reason: 'format',
            help_message: 'must be a size in bytes',
          },
        ]);
      }
      template.size = entry.size;
    }
    const volumeType = readOptionalString(entry, 'volume_type');
    if (volumeType !== undefined) {
      if (volumeType !== 'l_ssd' && volumeType !== 'sbs_volume') {
        throw invalidArguments([
          {
            argument_name: `volumes.${slot}.volume_type`,
            reason: 'constraint',
            help_message: 'the emulator offers l_ssd and sbs_volume',
          },
        ]);
      }
      template.volumeType = volumeType;
    }
    templates.set(slot, template);
  }
  return templates;
}

export function splitList(value: string | null): string[] {
  if (value === null) return [];
  return value.split(',').filter((part) => part !== '');
}
