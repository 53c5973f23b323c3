import {
  type Provider,
  ProviderError,
  providerDelay,
  type VolumeInstance,
  type VolumeLookupConfig,
  type VolumeStatus,
} from '@simple-agent-manager/providers';
import {
  type CommandContext,
  confirmChange,
  confirmTargetAnswers,
  formatLabels,
  labelsCell,
  withTarget,
} from './commands.js';
import { commandLine } from './error-hints.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { checkVMId, checkVolumeId } from './ids.js';
import { type Cell, type Colors, formatTable } from './output.js';
import { Progress } from './progress.js';
import {
  catalogProvider,
  PROVIDER_TITLES,
  type ProviderName,
  type Target,
  type WaitTiming,
} from './target.js';

/** The options of `volume create`. */
export interface VolumeCreateOptions {
  name: string;
  sizeGb: number;
  location?: string;
  label?: Record<string, string>;
}

/** The `--location` every volume command takes; the provider's default location when not given. */
export interface VolumeLocationOptions {
  location?: string;
}

function volumeStatusCell(status: VolumeStatus, colors: Colors): Cell {
  switch (status) {
    case 'available':
    case 'attached':
      return { text: status, style: colors.green };
    case 'creating':
    case 'attaching':
    case 'detaching':
    case 'resizing':
    case 'deleting':
      return { text: status, style: colors.yellow };
    case 'unknown':
      return { text: status, style: colors.red };
    default: {
      const unknown: never = status;
      return String(unknown);
    }
  }
}

function volumeTable(volumes: readonly VolumeInstance[], colors: Colors): string {
  return formatTable(
    ['ID', 'NAME', 'SIZE GB', 'STATUS', 'ATTACHED TO', 'LABELS'],
    volumes.map((volume) => [
      volume.id,
      volume.name,
      String(volume.sizeGb),
      volumeStatusCell(volume.status, colors),
      volume.attachedServerId ?? '',
      formatLabels(volume.labels),
    ]),
    colors,
  );
}

function volumeDetails(volume: VolumeInstance, colors: Colors): string {
  const rows: [string, Cell][] = [
    ['id', volume.id],
    ['name', volume.name],
    ['size', `${volume.sizeGb} GB`],
    ['status', volumeStatusCell(volume.status, colors)],
    ['attached to', volume.attachedServerId ?? { text: '(none)', style: colors.dim }],
    ['device', volume.linuxDevice ?? { text: '(not reported)', style: colors.dim }],
    ['type', volume.volumeType ?? ''],
    ['location', volume.location],
    ['created', volume.createdAt],
    ['labels', labelsCell(volume.labels, colors)],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : value.style(value.text);
      return `${colors.bold(key.padEnd(width))}  ${text}`.trimEnd();
    })
    .join('\n');
}

function unsupported(provider: ProviderName): Error {
  return new Error(
    `${PROVIDER_TITLES[provider]} block volumes are not supported by this version of the provider library (volumeCapabilities.supported is false); nothing was sent`,
  );
}

/**
 * Run a volume command against its target. A provider whose volumes this version does not drive fails at once,
 * before any credential is read or emulator started. The volume id (and `--vm`) are checked before that too; an
 * `invalid_input` refusal of the library becomes a usage error like any other (see `execute`).
 */
async function withVolumes<T>(
  context: CommandContext,
  ids: { volumeId?: string; vm?: string | undefined },
  body: (target: Target, location: (given: string | undefined) => string) => Promise<T>,
): Promise<T> {
  const providerName = context.connection.provider;
  if (!catalogProvider(providerName).volumeCapabilities.supported) throw unsupported(providerName);
  if (ids.volumeId !== undefined) checkVolumeId(providerName, ids.volumeId, 'argument <id>');
  if (ids.vm !== undefined) checkVMId(providerName, ids.vm, '--vm');
  return withTarget(context, (target) => body(target, (given) => given ?? target.provider.defaultLocation));
}

function volumeNotFound(target: Target, id: string, location: string, outcome = ''): ProviderError {
  return new ProviderError({
    provider: target.providerName,
    category: 'not_found',
    message: `volume ${id} not found in ${location}${outcome}`,
  });
}

/** The volume, or a `not_found` failure (exit 1). An id or location the library refuses is a usage error. */
async function readVolume(
  context: CommandContext,
  target: Target,
  lookup: VolumeLookupConfig,
): Promise<VolumeInstance> {
  const volume = await target.provider.getVolume(lookup, context.requestOptions);
  if (volume === null) {
    await confirmTargetAnswers(context, target);
    throw volumeNotFound(target, lookup.volumeId, lookup.location);
  }
  return volume;
}

function attachedConflict(
  target: Target,
  volume: VolumeInstance,
  holder: string,
  todo: string,
): ProviderError {
  return new ProviderError({
    provider: target.providerName,
    category: 'conflict',
    retryable: false,
    message: `volume ${volume.id} is attached to VM ${holder}; detach it before ${todo}: \`${commandLine(target.providerName, `volume detach ${volume.id} --location ${volume.location}`)}\``,
  });
}

/**
 * Whether the library's own rules (the capabilities' whole-GB range) accept `sizeGb`. A size they refuse is
 * rejected by the library before any request, so there is nothing to confirm; any other size is confirmed first.
 */
function sizeAccepted(provider: Provider, sizeGb: number): boolean {
  const { minSizeGb = 1, maxSizeGb = Number.MAX_SAFE_INTEGER } = provider.volumeCapabilities;
  return Number.isInteger(sizeGb) && sizeGb >= minSizeGb && sizeGb <= maxSizeGb;
}

/** Whether `location` is one of the provider's configured locations (an unknown one is refused before any request). */
function locationKnown(provider: Provider, location: string): boolean {
  return Object.hasOwn(provider.locationMetadata, location) || provider.locations.includes(location);
}

/** Run one volume change with a progress line: `title` while it runs, `done` or `failed` when it ends. */
async function withProgress<T>(
  context: CommandContext,
  titles: { title: string; done: string; failed: string },
  body: () => Promise<T>,
): Promise<T> {
  const progress = new Progress(context.output);
  progress.start(titles.title);
  try {
    const result = await body();
    progress.succeed(titles.done);
    return result;
  } catch (error) {
    progress.fail(titles.failed, context.requestOptions.signal);
    throw error;
  }
}

function label(volume: Pick<VolumeInstance, 'id' | 'name'>): string {
  return `"${volume.name}" (${volume.id})`;
}

export async function volumeCreateCommand(
  context: CommandContext,
  options: VolumeCreateOptions,
): Promise<number> {
  const { output, requestOptions } = context;
  return withVolumes(context, {}, async (target, locationOf) => {
    const { provider } = target;
    const location = locationOf(options.location);
    // A size or location the library refuses fails before any request: no need to ask first.
    if (sizeAccepted(provider, options.sizeGb) && locationKnown(provider, location)) {
      await confirmChange(
        context,
        target,
        `Create volume "${options.name}" (${options.sizeGb} GB, ${location})? It is billed while it exists.`,
        'create a volume',
      );
    }
    const volume = await provider.createVolume(
      { name: options.name, sizeGb: options.sizeGb, location, labels: options.label ?? {} },
      requestOptions,
    );
    output.info(`${output.stderrColors.green('✓')} created volume ${label(volume)}`);
    output.result(volume, () => volumeDetails(volume, output.stdoutColors));
    return EXIT_OK;
  });
}

export async function volumeListCommand(
  context: CommandContext,
  options: VolumeLocationOptions & { label?: Record<string, string> },
): Promise<number> {
  const { output } = context;
  return withVolumes(context, {}, async (target, locationOf) => {
    const location = locationOf(options.location);
    const volumes = await target.provider.listVolumes(
      { location, labels: options.label ?? {} },
      context.requestOptions,
    );
    output.result(volumes, () =>
      volumes.length === 0 ? `No volumes in ${location}.` : volumeTable(volumes, output.stdoutColors),
    );
    return EXIT_OK;
  });
}

export async function volumeGetCommand(
  context: CommandContext,
  id: string,
  options: VolumeLocationOptions,
): Promise<number> {
  const { output } = context;
  return withVolumes(context, { volumeId: id }, async (target, locationOf) => {
    const volume = await readVolume(context, target, {
      volumeId: id,
      location: locationOf(options.location),
    });
    output.result(volume, () => volumeDetails(volume, output.stdoutColors));
    return EXIT_OK;
  });
}

/**
 * `--vm` as the provider names the VM: a bare Scaleway server UUID (which `get` and `delete` take too) is read once
 * to learn its zone, so that it compares with, and is passed as, the `{zone}/{uuid}` the volume's holder is named by.
 */
async function vmIdOf(context: CommandContext, target: Target, vm: string): Promise<string> {
  if (target.providerName !== 'scaleway' || vm.includes('/')) return vm;
  const found = await target.provider.getVM(vm, context.requestOptions);
  if (found === null) {
    await confirmTargetAnswers(context, target);
    throw new ProviderError({
      provider: target.providerName,
      category: 'not_found',
      message: `VM ${vm} not found`,
    });
  }
  return found.id;
}

export async function volumeAttachCommand(
  context: CommandContext,
  id: string,
  given: VolumeLocationOptions & { vm: string },
): Promise<number> {
  const { output, requestOptions } = context;
  return withVolumes(context, { volumeId: id, vm: given.vm }, async (target, locationOf) => {
    const options = { ...given, vm: await vmIdOf(context, target, given.vm) };
    const location = locationOf(options.location);
    const current = await readVolume(context, target, { volumeId: id, location });
    const holder = current.attachedServerId;
    if (holder !== undefined && holder !== options.vm && current.status !== 'detaching') {
      throw attachedConflict(target, current, holder, `attaching it to VM ${options.vm}`);
    }
    // Already attached there: nothing changes, nothing to ask (the library resolves at once).
    if (holder !== options.vm) {
      await confirmChange(
        context,
        target,
        `Attach volume ${label(current)}, ${current.sizeGb} GB, to VM ${options.vm}?`,
        'attach a volume',
      );
    }
    const volume = await withProgress(
      context,
      {
        title: `Attaching volume ${current.name} to VM ${options.vm}…`,
        done: `attached volume ${label(current)} to VM ${options.vm}`,
        failed: `could not attach volume ${current.name} to VM ${options.vm}`,
      },
      () => target.provider.attachVolume({ volumeId: id, serverId: options.vm, location }, requestOptions),
    );
    output.result(volume, () => volumeDetails(volume, output.stdoutColors));
    return EXIT_OK;
  });
}

export async function volumeDetachCommand(
  context: CommandContext,
  id: string,
  given: VolumeLocationOptions & { vm?: string },
): Promise<number> {
  const { output, requestOptions } = context;
  return withVolumes(context, { volumeId: id, vm: given.vm }, async (target, locationOf) => {
    const options =
      given.vm === undefined ? given : { ...given, vm: await vmIdOf(context, target, given.vm) };
    const location = locationOf(options.location);
    const current = await readVolume(context, target, { volumeId: id, location });
    const holder = current.attachedServerId;
    const detach = () =>
      target.provider.detachVolume(
        { volumeId: id, location, ...(options.vm === undefined ? {} : { serverId: options.vm }) },
        requestOptions,
      );
    let volume: VolumeInstance | null;
    if (holder === undefined || (options.vm !== undefined && holder !== options.vm)) {
      // Nothing to detach, or attached to another VM than the one named: the library resolves at once or refuses
      // (it only ever detaches from the VM it is given), so there is nothing to ask. It still checks `--vm`.
      volume = await detach();
      if (volume !== null)
        output.info(`${output.stderrColors.green('✓')} volume ${label(volume)} was not attached`);
    } else {
      await confirmChange(
        context,
        target,
        `Detach volume ${label(current)} from VM ${holder}?`,
        'detach a volume',
      );
      volume = await withProgress(
        context,
        {
          title: `Detaching volume ${current.name} from VM ${holder}…`,
          done: `detached volume ${label(current)} from VM ${holder}`,
          failed: `could not detach volume ${current.name} from VM ${holder}`,
        },
        detach,
      );
    }
    if (volume === null) {
      await confirmTargetAnswers(context, target);
      throw volumeNotFound(target, id, location);
    }
    const shown = volume;
    output.result(shown, () => volumeDetails(shown, output.stdoutColors));
    return EXIT_OK;
  });
}

export async function volumeResizeCommand(
  context: CommandContext,
  id: string,
  options: VolumeLocationOptions & { sizeGb: number },
): Promise<number> {
  const { output, requestOptions } = context;
  return withVolumes(context, { volumeId: id }, async (target, locationOf) => {
    const { provider } = target;
    const location = locationOf(options.location);
    const resize = (currentSizeGb?: number) =>
      provider.resizeVolume(
        {
          volumeId: id,
          location,
          sizeGb: options.sizeGb,
          ...(currentSizeGb === undefined ? {} : { currentSizeGb }),
        },
        requestOptions,
      );
    const show = (volume: VolumeInstance) => {
      output.result(volume, () => volumeDetails(volume, output.stdoutColors));
      return EXIT_OK;
    };
    // A size outside the capabilities is refused by the library before any request (a usage error).
    if (!sizeAccepted(provider, options.sizeGb)) return show(await resize());
    const current = await readVolume(context, target, { volumeId: id, location });
    // Not growing it: given the current size, the library refuses that before any request too.
    if (options.sizeGb <= current.sizeGb) return show(await resize(current.sizeGb));
    await confirmChange(
      context,
      target,
      `Grow volume ${label(current)} from ${current.sizeGb} GB to ${options.sizeGb} GB? Volumes cannot shrink back.`,
      'resize a volume',
    );
    const volume = await withProgress(
      context,
      {
        title: `Growing volume ${current.name} to ${options.sizeGb} GB…`,
        done: `volume ${label(current)} is ${options.sizeGb} GB`,
        failed: `could not grow volume ${current.name} to ${options.sizeGb} GB`,
      },
      () => resize(current.sizeGb),
    );
    return show(volume);
  });
}

export async function volumeDeleteCommand(
  context: CommandContext,
  id: string,
  options: VolumeLocationOptions & { missingOk?: boolean },
): Promise<number> {
  const { output, requestOptions } = context;
  return withVolumes(context, { volumeId: id }, async (target, locationOf) => {
    const location = locationOf(options.location);
    // One read tells "deleted" from "not found" (deleteVolume resolves for both), and refuses an attached volume
    // before asking.
    const current = await target.provider.getVolume({ volumeId: id, location }, requestOptions);
    const colors = output.stdoutColors;
    if (current === null) {
      await confirmTargetAnswers(context, target);
      const missingOk = options.missingOk === true;
      if (!missingOk) output.errorLine(volumeNotFound(target, id, location, ', nothing deleted'));
      output.result({ id, location, deleted: false, notFound: true }, () =>
        missingOk ? `${colors.dim('-')} volume ${id} not found in ${location}, nothing deleted` : '',
      );
      return missingOk ? EXIT_OK : EXIT_FAILURE;
    }
    const holder = current.attachedServerId;
    if (holder !== undefined && current.status !== 'detaching') {
      throw attachedConflict(target, current, holder, 'deleting it');
    }
    await confirmChange(
      context,
      target,
      `Delete volume ${label(current)}, ${current.sizeGb} GB in ${location}, and every byte on it?`,
      'delete a volume',
    );
    await withProgress(
      context,
      {
        title: `Deleting volume ${current.name}…`,
        done: `deleted volume ${label(current)}`,
        failed: `could not delete volume ${current.name}`,
      },
      () => target.provider.deleteVolume({ volumeId: id, location }, requestOptions),
    );
    output.result(
      { id, location, deleted: true, notFound: false },
      () => `${colors.green('✓')} deleted volume ${label(current)}`,
    );
    return EXIT_OK;
  });
}

/** How {@link waitForVolume} polls, and what for. */
export interface WaitForVolumeOptions extends WaitTiming {
  /** The condition on the volume as read (`null`: it does not exist). */
  until: (volume: VolumeInstance | null) => boolean;
  /** What is waited for, for the timeout's message. */
  what: string;
  signal?: AbortSignal | undefined;
  onPoll?: (volume: VolumeInstance | null) => void;
}

/**
 * Poll `getVolume` with growing intervals until `until` holds; resolves the last read. Rejects with a `timeout`
 * `ProviderError` when `timeoutMs` runs out, and with the caller's abort reason when `signal` fires.
 */
export async function waitForVolume(
  provider: Provider,
  lookup: VolumeLookupConfig,
  options: WaitForVolumeOptions,
): Promise<VolumeInstance | null> {
  const { signal } = options;
  const deadline = Date.now() + options.timeoutMs;
  for (let delay = options.intervalMs; ; delay = Math.min(Math.round(delay * 1.5), options.maxIntervalMs)) {
    const read = await provider.getVolume(lookup, signal === undefined ? {} : { signal });
    options.onPoll?.(read);
    if (options.until(read)) return read;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new ProviderError({
        provider: provider.name,
        category: 'timeout',
        retryable: false,
        message: `volume ${lookup.volumeId} did not become ${options.what} within ${options.timeoutMs} ms (last status: ${read?.status ?? 'deleted'})`,
      });
    }
    await providerDelay(Math.min(delay, remaining), { signal });
  }
}
