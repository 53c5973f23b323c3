/**
 * Volumes of the Hetzner emulator (docs/hetzner-api.md "Volumes"): records, the create / attach / detach / resize /
 * protection actions and their transitions on the emulator clock. The HTTP side is in `volume-routes.ts`.
 */
import type { TransitionClock } from '../core/clock.js';
import {
  actionJson,
  type HetznerActionRecord,
  type HetznerActionResource,
  type HetznerActions,
} from './actions.js';
import { HETZNER_EMULATOR_LOCATIONS, type HetznerLocationRecord } from './catalog.js';
import { HETZNER_VOLUME_ERRORS as ERRORS, hetznerError, serverNotFound } from './errors.js';
import { type HetznerFailureHandle, HetznerFailureRules } from './rules.js';
import type { HetznerServerRecord } from './servers.js';
import { isVolumeName, isVolumeSize, validateLabels } from './validation.js';

type Json = Record<string, unknown>;

/** A volume as the emulator stores it. `server` is the source of truth; a server's `volumes` are derived from it. */
export interface HetznerVolumeRecord {
  id: number;
  name: string;
  /** The only two statuses (attachment is not a status: read `server`). */
  status: 'creating' | 'available';
  created: string;
  /** Location name, e.g. `fsn1`. */
  location: string;
  /** GB. */
  size: number;
  /** The id of the server it is attached to, or `null`. */
  server: number | null;
  labels: Record<string, string>;
  format: 'xfs' | 'ext4' | null;
  protection: { delete: boolean };
  /** The `automount` of the last attach (not rendered: the API does not return it). */
  automount: boolean;
}

/** How long each volume action runs, in emulated milliseconds. */
export interface HetznerVolumeDelays {
  create: number;
  attach: number;
  detach: number;
  resize: number;
  protection: number;
}

/**
 * UNCONFIRMED (docs/hetzner-api.md "Volumes"): real durations were never recorded; Hetzner's code says "most volume
 * actions will be done in less than 5 seconds". Override them with the `volumeDelays` option.
 */
export const HETZNER_VOLUME_DELAYS: Readonly<HetznerVolumeDelays> = {
  create: 1_000,
  attach: 1_500,
  detach: 1_000,
  resize: 1_000,
  protection: 300,
};

/** At most 16 volumes per server (docs/hetzner-api.md "Volumes", the CSI driver's `MaxVolumesPerNode`). */
export const HETZNER_MAX_VOLUMES_PER_SERVER = 16;

/** A platform failure a volume action can end in (`status: error`), as {@link HetznerVolumeActionFailureRule} picks. */
export type HetznerVolumeActionFailure = 'unknown_error' | 'user_action_required' | 'locked';

/**
 * The `error` of a failed action, per failure: messages as the CSI driver recorded them (issues #281, #118, #12);
 * `{server}` stands for the server id.
 */
export const HETZNER_VOLUME_ACTION_ERRORS: Readonly<
  Record<HetznerVolumeActionFailure, { readonly code: string; readonly message: string }>
> = {
  unknown_error: {
    code: 'unknown_error',
    message: 'Volume assigning step has failed due to an unknown error.',
  },
  user_action_required: {
    code: 'user_action_required',
    message: 'Volume assigning failed. Power off and back on the server id: {server} and try again.',
  },
  locked: { code: 'locked', message: 'cannot perform operation because server is locked' },
};

/** Makes matching attach / detach / resize actions end in `error` (and change nothing) instead of `success`. */
export interface HetznerVolumeActionFailureRule {
  /** Which command fails; any of the three when absent. */
  command?: 'attach_volume' | 'detach_volume' | 'resize_volume';
  /** Volume id to match; any when absent. */
  volume?: number;
  /** Which error the action ends with. Default `unknown_error`. */
  failure?: HetznerVolumeActionFailure;
  /** How many actions fail before the rule is spent. Default: every one until removed. */
  times?: number;
}

/** Makes matching `POST /volumes` fail with 422 `no_space_left_in_location`. */
export interface HetznerVolumeSpaceFailureRule {
  /** Location name to match; any when absent. */
  location?: string;
  /** How many creates fail. Default: every one until removed. */
  times?: number;
}

/** What the volumes need from the emulator around them. */
export interface HetznerVolumeHost {
  readonly clock: TransitionClock;
  readonly actions: HetznerActions;
  server(id: number): HetznerServerRecord | undefined;
}

const FAILABLE = new Set(['attach_volume', 'detach_volume', 'resize_volume']);

/** The project's volumes and the rules that make their operations fail. */
export class HetznerVolumes {
  readonly #host: HetznerVolumeHost;
  readonly #limit: number;
  readonly #delays: HetznerVolumeDelays;
  readonly #volumes = new Map<number, HetznerVolumeRecord>();
  readonly #spaceFailures = new HetznerFailureRules<HetznerVolumeSpaceFailureRule>();
  readonly #actionFailures = new HetznerFailureRules<HetznerVolumeActionFailureRule>();
  #nextId = 5_000_001;

  constructor(host: HetznerVolumeHost, limit: number, delays: Partial<HetznerVolumeDelays> = {}) {
    this.#host = host;
    this.#limit = limit;
    this.#delays = { ...HETZNER_VOLUME_DELAYS, ...delays };
  }

  get(id: number): HetznerVolumeRecord | undefined {
    return this.#volumes.get(id);
  }

  /** The volume, or 404 `not_found`. */
  require(id: number | undefined, raw: string = String(id)): HetznerVolumeRecord {
    const volume = id === undefined ? undefined : this.#volumes.get(id);
    if (volume === undefined) throw hetznerError(ERRORS.notFound, `volume with ID ${raw} not found`);
    return volume;
  }

  all(): HetznerVolumeRecord[] {
    return [...this.#volumes.values()];
  }

  /** Ids of the volumes attached to `serverId`, ascending: the server's `volumes`. */
  attachedTo(serverId: number): number[] {
    return this.all()
      .filter((volume) => volume.server === serverId)
      .map((volume) => volume.id)
      .sort((a, b) => a - b);
  }

  addSpaceFailure(rule: HetznerVolumeSpaceFailureRule): HetznerFailureHandle {
    return this.#spaceFailures.add(rule);
  }

  addActionFailure(rule: HetznerVolumeActionFailureRule): HetznerFailureHandle {
    return this.#actionFailures.add(rule);
  }

  clearSpaceFailures(): void {
    this.#spaceFailures.clear();
  }

  clearActionFailures(): void {
    this.#actionFailures.clear();
  }

  /** Forget every volume and rule (pending transitions are dropped with the clock's). */
  clear(): void {
    this.#volumes.clear();
    this.clearSpaceFailures();
    this.clearActionFailures();
  }

  /** Add a volume directly, in any status, without a request or an action. */
  seed(partial: Partial<Omit<HetznerVolumeRecord, 'id'>> = {}): HetznerVolumeRecord {
    const server = partial.server ?? null;
    const host = server === null ? undefined : this.#host.server(server);
    if (server !== null && host === undefined) throw new Error(`seedVolume: no server ${server}`);
    const id = this.#nextId++;
    const volume: HetznerVolumeRecord = {
      id,
      name: partial.name ?? `seeded-volume-${id}`,
      status: partial.status ?? 'available',
      created: partial.created ?? new Date().toISOString(),
      location: partial.location ?? host?.location ?? 'fsn1',
      size: partial.size ?? 10,
      server,
      labels: { ...partial.labels },
      format: partial.format ?? null,
      protection: { delete: partial.protection?.delete ?? false },
      automount: partial.automount ?? false,
    };
    this.#volumes.set(id, volume);
    return volume;
  }

  /** `POST /volumes`: 201 `{ volume, action, next_actions }`. */
  create(body: Json): Json {
    const { size, name } = body;
    // A field sent as null counts as absent.
    const [location, server, labels, automount, format] = (
      ['location', 'server', 'labels', 'automount', 'format'] as const
    ).map((field) => body[field] ?? undefined);
    if (!isVolumeSize(size)) throw hetznerError(ERRORS.invalidSize);
    if (!isVolumeName(name)) throw hetznerError(ERRORS.invalidName);
    if ((location === undefined) === (server === undefined)) throw hetznerError(ERRORS.locationOrServer);
    if (automount !== undefined && server === undefined) throw hetznerError(ERRORS.automountWithoutServer);
    if (automount !== undefined && typeof automount !== 'boolean')
      throw hetznerError(ERRORS.invalidAutomount);
    if (format !== undefined && format !== null && format !== 'xfs' && format !== 'ext4') {
      throw hetznerError(ERRORS.invalidFormat);
    }
    const labelProblem = validateLabels(labels);
    if (labelProblem !== undefined) throw hetznerError(ERRORS.invalidLabel, labelProblem);
    const target = server === undefined ? undefined : this.#attachTarget(server);
    const locationName = target?.location ?? findLocation(location)?.name;
    if (locationName === undefined) throw hetznerError(ERRORS.unknownLocation);
    if (this.all().some((volume) => volume.name === name)) throw hetznerError(ERRORS.nameTaken);
    if (target !== undefined) this.#checkAttachable(target);
    if (this.#spaceFailures.take((rule) => rule.location === undefined || rule.location === locationName)) {
      throw hetznerError(ERRORS.noSpace);
    }
    if (this.#volumes.size >= this.#limit) throw hetznerError(ERRORS.volumeLimit);

    const volume = this.seed({
      name,
      status: 'creating',
      location: locationName,
      size,
      labels: (labels ?? {}) as Record<string, string>,
      format: (format ?? null) as HetznerVolumeRecord['format'],
    });
    const { actions, clock } = this.#host;
    const created = actions.start('create_volume', [ref('volume', volume.id)]);
    const attach =
      target === undefined ? undefined : actions.start('attach_volume', attachResources(target, volume));
    const response = {
      volume: volumeJson(volume),
      action: actionJson(created),
      next_actions: attach === undefined ? [] : [actionJson(attach)],
    };
    clock.schedule(this.#delays.create, () => {
      if (this.#volumes.get(volume.id) !== volume) return;
      volume.status = 'available';
      actions.finish(created);
      if (target !== undefined && attach !== undefined) {
        this.#complete(attach, volume, this.#delays.attach, () =>
          this.#applyAttach(volume, target.id, automount === true),
        );
      }
    });
    return response;
  }

  /** `PUT /volumes/{id}`: name and/or labels (a full replacement). */
  update(volume: HetznerVolumeRecord, body: Json): Json {
    const { name, labels } = body;
    if (name !== undefined) {
      if (!isVolumeName(name)) throw hetznerError(ERRORS.invalidName);
      if (this.all().some((other) => other !== volume && other.name === name))
        throw hetznerError(ERRORS.nameTaken);
    }
    const labelProblem = validateLabels(labels);
    if (labelProblem !== undefined) throw hetznerError(ERRORS.invalidLabel, labelProblem);
    if (name !== undefined) volume.name = name;
    if (labels !== undefined) volume.labels = { ...(labels as Record<string, string>) };
    return { volume: volumeJson(volume) };
  }

  /** `DELETE /volumes/{id}`: only detached, unprotected and idle volumes. */
  delete(volume: HetznerVolumeRecord): void {
    if (volume.protection.delete) throw hetznerError(ERRORS.protected);
    if (volume.server !== null) throw hetznerError(ERRORS.attached);
    this.#checkIdle(volume);
    this.#volumes.delete(volume.id);
  }

  /** `POST /volumes/{id}/actions/attach` `{ server, automount? }`; `server` is set when the action succeeds. */
  attach(volume: HetznerVolumeRecord, body: Json): Json {
    const { server, automount } = body;
    if (automount !== undefined && typeof automount !== 'boolean')
      throw hetznerError(ERRORS.invalidAutomount);
    this.#checkIdle(volume);
    if (volume.server !== null) throw hetznerError(ERRORS.alreadyAttached);
    const target = this.#attachTarget(server);
    if (target.location !== volume.location) throw hetznerError(ERRORS.otherLocation);
    this.#checkAttachable(target);
    const action = this.#host.actions.start('attach_volume', attachResources(target, volume));
    return this.#respond(action, volume, this.#delays.attach, () =>
      this.#applyAttach(volume, target.id, automount === true),
    );
  }

  /** `POST /volumes/{id}/actions/detach`; `server` becomes null when the action succeeds. */
  detach(volume: HetznerVolumeRecord): Json {
    this.#checkIdle(volume);
    const server = volume.server === null ? undefined : this.#host.server(volume.server);
    if (server === undefined) throw hetznerError(ERRORS.notAttached);
    if (this.#host.actions.running('server', server.id)) throw hetznerError(ERRORS.serverLocked);
    const action = this.#host.actions.start('detach_volume', attachResources(server, volume));
    return this.#respond(action, volume, this.#delays.detach, () => {
      volume.server = null;
      return undefined;
    });
  }

  /** `POST /volumes/{id}/actions/resize` `{ size }`: strictly larger only; the size changes when it succeeds. */
  resize(volume: HetznerVolumeRecord, body: Json): Json {
    const { size } = body;
    if (!isVolumeSize(size)) throw hetznerError(ERRORS.invalidSize);
    this.#checkIdle(volume);
    if (size <= volume.size) throw hetznerError(ERRORS.notLarger);
    const action = this.#host.actions.start('resize_volume', [ref('volume', volume.id)]);
    return this.#respond(action, volume, this.#delays.resize, () => {
      volume.size = size;
      return undefined;
    });
  }

  /** `POST /volumes/{id}/actions/change_protection` `{ delete? }`. */
  changeProtection(volume: HetznerVolumeRecord, body: Json): Json {
    const { delete: protect } = body;
    if (protect !== undefined && typeof protect !== 'boolean') throw hetznerError(ERRORS.invalidProtection);
    this.#checkIdle(volume);
    const action = this.#host.actions.start('change_protection', [ref('volume', volume.id)]);
    return this.#respond(action, volume, this.#delays.protection, () => {
      if (protect !== undefined) volume.protection.delete = protect;
      return undefined;
    });
  }

  /**
   * `DELETE /servers/{id}` detaches, never deletes, the server's volumes (docs/hetzner-api.md "Volumes"): they stay,
   * with `server: null` and their labels. An attach still running towards the server then fails.
   */
  detachAll(serverId: number): void {
    for (const volume of this.#volumes.values()) if (volume.server === serverId) volume.server = null;
  }

  /** The server `{ server }` names, or 400 / 404. */
  #attachTarget(server: unknown): HetznerServerRecord {
    if (!Number.isInteger(server)) throw hetznerError(ERRORS.invalidServer);
    const record = this.#host.server(server as number);
    if (record === undefined) throw serverNotFound(server as number);
    return record;
  }

  /** At most 16 volumes per server (attaches under way count), and no other action running on it. */
  #checkAttachable(server: HetznerServerRecord): void {
    const pending = this.#host.actions
      .all()
      .filter(
        (action) =>
          action.status === 'running' &&
          action.command === 'attach_volume' &&
          action.resources.some((resource) => resource.type === 'server' && resource.id === server.id),
      ).length;
    if (this.attachedTo(server.id).length + pending >= HETZNER_MAX_VOLUMES_PER_SERVER) {
      throw hetznerError(ERRORS.attachLimit);
    }
    if (this.#host.actions.running('server', server.id)) throw hetznerError(ERRORS.serverLocked);
  }

  /** `locked` while another action (create included) runs on the volume. */
  #checkIdle(volume: HetznerVolumeRecord): void {
    if (this.#host.actions.running('volume', volume.id)) throw hetznerError(ERRORS.volumeLocked);
  }

  #applyAttach(volume: HetznerVolumeRecord, serverId: number, automount: boolean) {
    // The server was deleted while the attach ran: the assignment fails.
    if (this.#host.server(serverId) === undefined) return HETZNER_VOLUME_ACTION_ERRORS.unknown_error;
    volume.server = serverId;
    volume.automount = automount;
    return undefined;
  }

  /** `{ action }` as it is now, then the action's end after `delay`. */
  #respond(
    action: HetznerActionRecord,
    volume: HetznerVolumeRecord,
    delay: number,
    apply: () => { code: string; message: string } | undefined,
  ): Json {
    const response = { action: actionJson(action) };
    this.#complete(action, volume, delay, apply);
    return response;
  }

  /**
   * After `delay`, end `action`: with an injected failure (nothing changes), or by applying its change. The change
   * lands in the same step as `success`, so a client polling either the action or the volume sees it at once.
   */
  #complete(
    action: HetznerActionRecord,
    volume: HetznerVolumeRecord,
    delay: number,
    apply: () => { code: string; message: string } | undefined,
  ): void {
    this.#host.clock.schedule(delay, () => {
      if (action.status !== 'running') return;
      if (this.#volumes.get(volume.id) !== volume) {
        this.#host.actions.finish(action, HETZNER_VOLUME_ACTION_ERRORS.unknown_error);
        return;
      }
      const rule = FAILABLE.has(action.command)
        ? this.#actionFailures.take(
            (candidate) =>
              (candidate.command === undefined || candidate.command === action.command) &&
              (candidate.volume === undefined || candidate.volume === volume.id),
          )
        : undefined;
      if (rule !== undefined) {
        const { code, message } = HETZNER_VOLUME_ACTION_ERRORS[rule.failure ?? 'unknown_error'];
        const server = action.resources.find((resource) => resource.type === 'server')?.id ?? volume.server;
        this.#host.actions.finish(action, { code, message: message.replace('{server}', String(server)) });
        return;
      }
      this.#host.actions.finish(action, apply());
    });
  }
}

const ref = (type: HetznerActionResource['type'], id: number): HetznerActionResource => ({ id, type });

/**
 * UNCONFIRMED (docs/hetzner-api.md "Volumes"): Hetzner's spec examples list only the server for attach/detach; the
 * emulator lists the server and the volume, so that the volume-scoped action routes find them.
 */
function attachResources(server: HetznerServerRecord, volume: HetznerVolumeRecord): HetznerActionResource[] {
  return [ref('server', server.id), ref('volume', volume.id)];
}

/** A location by name, by id, or by id as a string of digits. */
function findLocation(reference: unknown): HetznerLocationRecord | undefined {
  const id =
    typeof reference === 'number'
      ? reference
      : typeof reference === 'string' && /^\d+$/.test(reference)
        ? Number(reference)
        : undefined;
  return HETZNER_EMULATOR_LOCATIONS.find((location) =>
    id === undefined ? location.name === reference : location.id === id,
  );
}

/** The volume as the API renders it (docs/hetzner-api.md "Volume object"). */
export function volumeJson(volume: HetznerVolumeRecord): Json {
  const location = HETZNER_EMULATOR_LOCATIONS.find((candidate) => candidate.name === volume.location);
  return {
    id: volume.id,
    name: volume.name,
    server: volume.server,
    status: volume.status,
    location: location === undefined ? { name: volume.location } : { ...location },
    size: volume.size,
    linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
    protection: { ...volume.protection },
    labels: { ...volume.labels },
    format: volume.format,
    created: volume.created,
  };
}
