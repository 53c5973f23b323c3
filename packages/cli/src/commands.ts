import { readFile } from 'node:fs/promises';
import {
  type Provider,
  ProviderError,
  type ProviderRequestContext,
  SCALEWAY_SIZES,
  type VMInstance,
  type VMStatus,
  waitForVM,
} from '@simple-agent-manager/providers';
import type { CliIo } from './cli-io.js';
import { confirm } from './confirm.js';
import { commandLine } from './error-hints.js';
import { EXIT_OK } from './exit-codes.js';
import { checkVMId } from './ids.js';
import { type Cell, type Colors, formatEuros, formatTable, type Output } from './output.js';
import { Progress } from './progress.js';
import {
  type ConnectionOptions,
  catalogProvider,
  openTarget,
  PROVIDER_TITLES,
  type Target,
} from './target.js';
import { UsageError } from './usage-error.js';

/** A size name (`small`, `medium`, `large`). */
export type Size = keyof Provider['sizes'];
/** Every size, for `--size`: each provider's table has the same keys, one per size. */
export const SIZES = Object.keys(SCALEWAY_SIZES) as Size[];

/** What every command runs with. */
export interface CommandContext {
  io: CliIo;
  output: Output;
  connection: ConnectionOptions;
  /** `--yes`: change a real account without asking. */
  yes: boolean;
  /** Passed to every provider call: carries the interrupt signal, when there is one. */
  requestOptions: ProviderRequestContext;
}

/** Run `body` against the command's target, stopping the embedded emulator afterwards. */
export async function withTarget<T>(
  context: CommandContext,
  body: (target: Target) => Promise<T>,
): Promise<T> {
  const { io, output } = context;
  const target = await openTarget({
    connection: context.connection,
    env: io.env,
    use: 'auto',
    onEvent: output.handleEvent,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });
  output.setTarget(target.kind);
  try {
    if (target.kind === 'emulator') {
      output.info(
        output.stderrColors.dim(
          `Using ${target.description}: it starts empty and is discarded when this command ends. Give credentials to use your account, or run \`sam-provider sandbox\` for an emulator that keeps its state.`,
        ),
      );
    }
    if (target.kind === 'sandbox') {
      output.info(
        output.stderrColors.dim(
          `Using ${target.description}: an emulator, not a real account; nothing is billed.`,
        ),
      );
    }
    return await body(target);
  } finally {
    await target.close();
  }
}

/** Ask before changing a real account; the embedded emulator and a sandbox are changed without asking. */
export async function confirmChange(
  context: CommandContext,
  target: Target,
  question: string,
  action: string,
) {
  if (target.kind !== 'account') return;
  const proceed = await confirm(context.io, {
    question: `Target: ${target.description}\n${question}`,
    action,
    yes: context.yes,
  });
  if (!proceed) throw new Error('Cancelled: nothing was changed');
}

function statusCell(status: VMStatus, colors: Colors): Cell {
  switch (status) {
    case 'running':
      return { text: status, style: colors.green };
    case 'off':
      return { text: status, style: colors.dim };
    case 'locked':
    case 'unknown':
      return { text: status, style: colors.red };
    case 'initializing':
    case 'starting':
    case 'stopping':
    case 'deleting':
    case 'busy':
      return { text: status, style: colors.yellow };
    default: {
      const unknown: never = status;
      return String(unknown);
    }
  }
}

/** A label key or value as written in a list: quoted (JSON) when it is empty or holds `,`, `=`, `"` or a space. */
function labelText(text: string): string {
  return /^[^\s,="]+$/.test(text) ? text : JSON.stringify(text);
}

/** Labels as `key=value,key=value`; a value such as `a,b` is quoted (`key="a,b"`), so the list reads one way. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${labelText(key)}=${labelText(value)}`)
    .join(',');
}

/** The labels row of a details view: `(none)` rather than an empty row. */
export function labelsCell(labels: Readonly<Record<string, string>>, colors: Colors): Cell {
  return Object.keys(labels).length === 0 ? { text: '(none)', style: colors.dim } : formatLabels(labels);
}

/** The ip row: a VM on its way up gets one, an off or stopping one has none (Scaleway's IP lives while it runs). */
function ipCell(vm: VMInstance, colors: Colors): Cell {
  if (vm.ip !== '') return vm.ip;
  switch (vm.status) {
    case 'off':
    case 'stopping':
      return { text: `(none while ${vm.status})`, style: colors.dim };
    case 'deleting':
      return { text: '(none)', style: colors.dim };
    default:
      return { text: '(none yet)', style: colors.dim };
  }
}

function vmTable(vms: readonly VMInstance[], colors: Colors): string {
  return formatTable(
    ['ID', 'NAME', 'STATUS', 'IP', 'TYPE', 'LOCATION', 'LABELS'],
    vms.map((vm) => [
      vm.id,
      vm.name,
      statusCell(vm.status, colors),
      vm.ip,
      vm.serverType,
      vm.location,
      formatLabels(vm.labels),
    ]),
    colors,
  );
}

function vmDetails(vm: VMInstance, colors: Colors): string {
  const rows: [string, Cell][] = [
    ['id', vm.id],
    ['name', vm.name],
    ['status', statusCell(vm.status, colors)],
    ['detail', vm.statusDetail],
    ['ip', ipCell(vm, colors)],
    ['type', vm.serverType],
    ['location', vm.location],
    ['created', vm.createdAt],
    ['labels', labelsCell(vm.labels, colors)],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : value.style(value.text);
      return `${colors.bold(key.padEnd(width))}  ${text}`;
    })
    .join('\n');
}

/** Wait for one VM, showing its state as it changes. */
async function waitWithProgress(
  context: CommandContext,
  target: Target,
  vm: Pick<VMInstance, 'id' | 'name'>,
  until: 'running' | 'off' | 'deleted',
): Promise<VMInstance | null> {
  const progress = new Progress(context.output);
  progress.start(`Waiting for ${vm.name} to be ${until}…`);
  try {
    const result = await waitForVM(target.provider, vm.id, {
      until,
      ...target.wait,
      ...context.requestOptions,
      onPoll: (read) =>
        progress.update(vm.id, `${vm.name}  ${read === null ? 'deleted' : read.statusDetail}`),
    });
    progress.succeed(`${vm.name} is ${until}`);
    return result;
  } catch (error) {
    progress.fail(`${vm.name} did not become ${until}`, context.requestOptions.signal);
    throw error;
  }
}

/**
 * Before saying "not found": with an API URL the person gave, make sure it answers like the provider's API (a wrong
 * path answers 404 for every id, which would read as "not found", and `--missing-ok` as success). One request, only
 * then. A refusal is the command's failure, with the hint of a listing (about the base URL).
 */
export async function confirmTargetAnswers(context: CommandContext, target: Target): Promise<void> {
  const { hints } = context.output;
  if (hints.sources.apiUrl === undefined || target.kind === 'emulator') return;
  try {
    await target.provider.validateToken(context.requestOptions);
  } catch (error) {
    hints.command = 'list';
    throw error;
  }
}

function notFound(target: Target, id: string): ProviderError {
  return new ProviderError({
    provider: target.providerName,
    category: 'not_found',
    message: `VM ${id} not found`,
  });
}

export async function validateCommand(context: CommandContext): Promise<number> {
  const { output } = context;
  return withTarget(context, async (target) => {
    // Resolves true or rejects: a refusal is a non-retryable ProviderError, reported like any failure.
    await target.provider.validateToken(context.requestOptions);
    output.result({ valid: true, provider: target.providerName, target: target.kind }, () =>
      output.stdoutColors.green(
        `${PROVIDER_TITLES[target.providerName]} accepted the credentials (${target.description})`,
      ),
    );
    return EXIT_OK;
  });
}

export async function sizesCommand(context: CommandContext): Promise<number> {
  const { output } = context;
  const provider = catalogProvider(context.connection.provider);
  const offeredIn = (size: Size) =>
    provider.locations.filter((location) => provider.locationMetadata[location]?.sizes.includes(size));
  const sizes = (Object.keys(provider.sizes) as Size[]).map((size) => ({
    size,
    ...provider.sizes[size],
    locations: offeredIn(size),
  }));
  output.result(sizes, () =>
    formatTable(
      ['SIZE', 'TYPE', 'VCPU', 'RAM GB', 'DISK GB', 'PER HOUR', 'PER MONTH', 'LOCATIONS'],
      sizes.map((size) => [
        size.size,
        size.type,
        String(size.vcpu),
        String(size.ramGb),
        String(size.storageGb),
        formatEuros(size.pricing.hourlyEur),
        formatEuros(size.pricing.monthlyEur, 2),
        size.locations.join(','),
      ]),
      output.stdoutColors,
    ),
  );
  return EXIT_OK;
}

export async function locationsCommand(context: CommandContext): Promise<number> {
  const { output } = context;
  const provider = catalogProvider(context.connection.provider);
  const locations = Object.entries(provider.locationMetadata).map(([id, metadata]) => ({
    id,
    name: metadata.name,
    country: metadata.country,
    sizes: [...metadata.sizes],
  }));
  output.result(locations, () =>
    formatTable(
      ['ID', 'NAME', 'COUNTRY', 'SIZES'],
      locations.map((location) => [
        location.id,
        location.name,
        location.country,
        location.sizes.length === 0
          ? { text: '(none)', style: output.stdoutColors.dim }
          : location.sizes.join(','),
      ]),
      output.stdoutColors,
    ),
  );
  return EXIT_OK;
}

export async function listCommand(context: CommandContext, labels: Record<string, string>): Promise<number> {
  const { output } = context;
  return withTarget(context, async ({ provider }) => {
    const vms = await provider.listVMs(labels, context.requestOptions);
    output.result(vms, () => (vms.length === 0 ? 'No VMs.' : vmTable(vms, output.stdoutColors)));
    return EXIT_OK;
  });
}

export async function getCommand(context: CommandContext, id: string): Promise<number> {
  const { output } = context;
  checkVMId(context.connection.provider, id, 'argument <id>');
  return withTarget(context, async (target) => {
    const vm = await target.provider.getVM(id, context.requestOptions);
    if (vm === null) {
      await confirmTargetAnswers(context, target);
      throw notFound(target, id);
    }
    output.result(vm, () => vmDetails(vm, output.stdoutColors));
    return EXIT_OK;
  });
}

/** The options of `create`. */
export interface CreateOptions {
  name: string;
  size: Size;
  location: string;
  label?: Record<string, string>;
  userData?: string;
  image?: string;
  wait?: boolean;
}

async function readUserData(file: string | undefined): Promise<string> {
  if (file === undefined) return '';
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(
      `cannot read the --user-data file ${file}${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
}

export async function createCommand(context: CommandContext, options: CreateOptions): Promise<number> {
  const { output } = context;
  const userData = await readUserData(options.userData);
  return withTarget(context, async (target) => {
    const { provider } = target;
    const size = provider.sizes[options.size];
    // A size or location the catalog refuses fails in createVM before any request: no need to ask first.
    const offered =
      provider.locations.includes(options.location) &&
      provider.locationMetadata[options.location]?.sizes.includes(options.size) === true;
    if (offered) {
      await confirmChange(
        context,
        target,
        `Create VM "${options.name}" (${size.type}, ${options.location}, about ${formatEuros(size.pricing.hourlyEur)}/hour)?`,
        'create a VM',
      );
    }
    const created = await provider.createVM(
      {
        name: options.name,
        size: options.size,
        location: options.location,
        userData,
        labels: options.label ?? {},
        ...(options.image === undefined ? {} : { image: options.image }),
      },
      context.requestOptions,
    );
    output.info(`${output.stderrColors.green('✓')} created ${created.name} (${created.id})`);
    let vm: VMInstance | null = created;
    try {
      if (options.wait === true) vm = await waitWithProgress(context, target, created, 'running');
    } catch (error) {
      // Interrupting the wait does not undo the create: say what now exists on the account.
      if (context.requestOptions.signal?.aborted === true && target.kind === 'account') {
        output.warn(
          `${created.name} (${created.id}) was created and keeps running; remove it with \`${commandLine(target.providerName, `delete ${created.id}`)}\``,
        );
      }
      throw error;
    }
    if (vm === null) throw notFound(target, options.name);
    const shown = vm;
    output.result(shown, () => vmDetails(shown, output.stdoutColors));
    return EXIT_OK;
  });
}

export async function powerCommand(
  context: CommandContext,
  action: 'power-off' | 'power-on',
  id: string,
  wait: boolean,
): Promise<number> {
  const { output, requestOptions } = context;
  checkVMId(context.connection.provider, id, 'argument <id>');
  return withTarget(context, async (target) => {
    await confirmChange(
      context,
      target,
      `${action === 'power-off' ? 'Power off' : 'Power on'} VM ${id}?`,
      action,
    );
    if (action === 'power-off') await target.provider.powerOff(id, requestOptions);
    else await target.provider.powerOn(id, requestOptions);
    const until = action === 'power-off' ? 'off' : 'running';
    const vm = wait
      ? await waitWithProgress(context, target, { id, name: id }, until)
      : await target.provider.getVM(id, requestOptions);
    if (vm === null) throw notFound(target, id);
    output.result(vm, () => vmDetails(vm, output.stdoutColors));
    return EXIT_OK;
  });
}
