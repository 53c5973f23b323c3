import { readFile } from 'node:fs/promises';
import {
  type Provider,
  ProviderError,
  type VMInstance,
  type VMStatus,
  waitForVM,
} from '@simple-agent-manager/providers';
import type { CliIo } from './cli-io.js';
import { confirm } from './confirm.js';
import { type Cell, type Colors, describeError, errorJson, formatTable, type Output } from './output.js';
import { Progress } from './progress.js';
import { type ConnectionOptions, openTarget, PROVIDER_TITLES, type Target } from './target.js';
import { UsageError } from './usage-error.js';

/** A size name (`small`, `medium`, `large`). */
export type Size = keyof Provider['sizes'];
export const SIZES: readonly Size[] = ['small', 'medium', 'large'];

/** What every command runs with. */
export interface CommandContext {
  io: CliIo;
  output: Output;
  connection: ConnectionOptions;
  /** `--yes`: change a real account without asking. */
  yes: boolean;
}

/** Run `body` against the command's target, stopping the embedded emulator afterwards. */
async function withTarget<T>(
  context: CommandContext,
  body: (target: Target) => Promise<T>,
  options: { announce: boolean } = { announce: true },
): Promise<T> {
  const { io, output } = context;
  const target = await openTarget({
    connection: context.connection,
    env: io.env,
    use: 'auto',
    onEvent: output.logEvent,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });
  try {
    if (options.announce && target.kind === 'emulator') {
      output.info(
        output.err.dim(
          `Using ${target.description}: it starts empty and is discarded when this command ends. Give credentials to use your account.`,
        ),
      );
    }
    return await body(target);
  } finally {
    await target.close();
  }
}

/** Ask before changing a real account; the embedded emulator is changed without asking. */
async function confirmChange(context: CommandContext, target: Target, question: string, action: string) {
  if (target.kind === 'emulator') return;
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

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
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
    ['ip', vm.ip === '' ? '(none yet)' : vm.ip],
    ['type', vm.serverType],
    ['location', vm.location],
    ['created', vm.createdAt],
    ['labels', formatLabels(vm.labels)],
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
  output: Output,
  target: Target,
  vm: Pick<VMInstance, 'id' | 'name'>,
  until: 'running' | 'off' | 'deleted',
): Promise<VMInstance | null> {
  const progress = new Progress(output);
  progress.start(`Waiting for ${vm.name} to be ${until}…`);
  try {
    const result = await waitForVM(target.provider, vm.id, {
      until,
      ...target.wait,
      onPoll: (read) =>
        progress.update(vm.id, `${vm.name}  ${read === null ? 'deleted' : read.statusDetail}`),
    });
    progress.succeed(`${vm.name} is ${until}`);
    return result;
  } catch (error) {
    progress.fail(`${vm.name} did not become ${until}`);
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
    const title = PROVIDER_TITLES[target.providerName];
    if (!(await target.provider.validateToken())) {
      throw new ProviderError({
        provider: target.providerName,
        category: 'auth',
        message: `${title} rejected the credentials`,
      });
    }
    output.result({ valid: true, provider: target.providerName, target: target.kind }, () =>
      output.out.green(`${title} accepted the credentials (${target.description})`),
    );
    return 0;
  });
}

export async function sizesCommand(context: CommandContext): Promise<number> {
  const { output } = context;
  return withTarget(
    context,
    async ({ provider }) => {
      const offeredIn = (size: Size) =>
        provider.locations.filter((location) => location.sizes.includes(size)).map((location) => location.id);
      const sizes = SIZES.map((size) => ({ size, ...provider.sizes[size], locations: offeredIn(size) }));
      output.result(sizes, () =>
        formatTable(
          ['SIZE', 'TYPE', 'VCPU', 'RAM GB', 'DISK GB', '€/HOUR', '€/MONTH', 'LOCATIONS'],
          sizes.map((size) => [
            size.size,
            size.type,
            String(size.vcpu),
            String(size.ramGb),
            String(size.storageGb),
            size.price.hourlyEur.toFixed(4),
            size.price.monthlyEur.toFixed(2),
            size.locations.join(','),
          ]),
          output.out,
        ),
      );
      return 0;
    },
    { announce: false },
  );
}

export async function locationsCommand(context: CommandContext): Promise<number> {
  const { output } = context;
  return withTarget(
    context,
    async ({ provider }) => {
      const locations = provider.locations.map((location) => ({ ...location, sizes: [...location.sizes] }));
      output.result(locations, () =>
        formatTable(
          ['ID', 'NAME', 'COUNTRY', 'SIZES'],
          locations.map((location) => [
            location.id,
            location.name,
            location.country,
            location.sizes.length === 0
              ? { text: '(none)', style: output.out.dim }
              : location.sizes.join(','),
          ]),
          output.out,
        ),
      );
      return 0;
    },
    { announce: false },
  );
}

export async function listCommand(context: CommandContext, labels: Record<string, string>): Promise<number> {
  const { output } = context;
  return withTarget(context, async ({ provider }) => {
    const vms = await provider.listVMs(labels);
    output.result(vms, () => (vms.length === 0 ? 'No VMs.' : vmTable(vms, output.out)));
    return 0;
  });
}

export async function getCommand(context: CommandContext, id: string): Promise<number> {
  const { output } = context;
  return withTarget(context, async (target) => {
    const vm = await target.provider.getVM(id);
    if (vm === null) throw notFound(target, id);
    output.result(vm, () => vmDetails(vm, output.out));
    return 0;
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
    const offered = provider.locations.some(
      (location) => location.id === options.location && location.sizes.includes(options.size),
    );
    if (offered) {
      await confirmChange(
        context,
        target,
        `Create VM "${options.name}" (${size.type}, ${options.location}, about €${size.price.hourlyEur.toFixed(4)}/hour)?`,
        'create a VM',
      );
    }
    let vm: VMInstance | null = await provider.createVM({
      name: options.name,
      size: options.size,
      location: options.location,
      userData,
      labels: options.label ?? {},
      ...(options.image === undefined ? {} : { image: options.image }),
    });
    output.info(`${output.err.green('✓')} created ${vm.name} (${vm.id})`);
    if (options.wait === true) vm = await waitWithProgress(output, target, vm, 'running');
    if (vm === null) throw notFound(target, options.name);
    const created = vm;
    output.result(created, () => vmDetails(created, output.out));
    return 0;
  });
}

export async function powerCommand(
  context: CommandContext,
  action: 'power-off' | 'power-on',
  id: string,
  wait: boolean,
): Promise<number> {
  const { output } = context;
  return withTarget(context, async (target) => {
    await confirmChange(
      context,
      target,
      `${action === 'power-off' ? 'Power off' : 'Power on'} VM ${id}?`,
      action,
    );
    if (action === 'power-off') await target.provider.powerOff(id);
    else await target.provider.powerOn(id);
    const until = action === 'power-off' ? 'off' : 'running';
    const vm = wait
      ? await waitWithProgress(output, target, { id, name: id }, until)
      : await target.provider.getVM(id);
    if (vm === null) throw notFound(target, id);
    output.result(vm, () => vmDetails(vm, output.out));
    return 0;
  });
}

export async function deleteCommand(
  context: CommandContext,
  ids: readonly string[],
  wait: boolean,
): Promise<number> {
  const { output } = context;
  return withTarget(context, async (target) => {
    const what = ids.length === 1 ? `VM ${ids[0]}` : `${ids.length} VMs (${ids.join(', ')})`;
    await confirmChange(context, target, `Delete ${what} and their disks?`, 'delete VMs');
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        await target.provider.deleteVM(id);
        if (wait) await waitWithProgress(output, target, { id, name: id }, 'deleted');
      }),
    );
    const deleted = ids.filter((_, index) => results[index]?.status === 'fulfilled');
    const failed = results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ id: ids[index] as string, error: result.reason as unknown }] : [],
    );
    if (failed.length === 1 && deleted.length === 0) throw failed[0]?.error;
    for (const failure of failed) {
      output.warn(`${failure.id}: ${describeError(failure.error, target.providerName)}`);
    }
    output.result(
      { deleted, failed: failed.map((failure) => ({ id: failure.id, error: errorJson(failure.error) })) },
      () => deleted.map((id) => `${output.out.green('✓')} deleted ${id}`).join('\n'),
    );
    return failed.length === 0 ? 0 : 1;
  });
}
