import { isProviderError, type ProviderError, type ProviderEvent } from '@simple-agent-manager/providers';
import picocolors from 'picocolors';
import type { CliIo, OutputStream } from './cli-io.js';
import { CREDENTIAL_SOURCES, PROVIDER_TITLES, type ProviderName } from './target.js';

/** Colour functions; identity functions when the stream is not to be coloured. */
export type Colors = ReturnType<typeof picocolors.createColors>;

type Environment = Readonly<Record<string, string | undefined>>;

/** The output flags every command shares, and the provider its messages are about. */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  provider: ProviderName;
}

/** A table cell: plain text, or text with a style applied after padding (so colours do not skew widths). */
export type Cell = string | { text: string; style: (text: string) => string };

/** Align `rows` under `headers` in columns two spaces apart. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  colors: Colors,
): string {
  const text = (cell: Cell | undefined) => (typeof cell === 'string' ? cell : (cell?.text ?? ''));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => text(row[column]).length)),
  );
  const line = (cells: readonly Cell[], styleAll?: (value: string) => string) =>
    widths
      .map((width, column) => {
        const cell = cells[column];
        const padded = column === widths.length - 1 ? text(cell) : text(cell).padEnd(width);
        const styled = typeof cell === 'object' ? cell.style(padded) : padded;
        return styleAll === undefined ? styled : styleAll(styled);
      })
      .join('  ')
      .trimEnd();
  return [line(headers, colors.bold), ...rows.map((row) => line(row))].join('\n');
}

/** An amount of euros, e.g. `€0.0202`: four decimals by default, enough for an hourly price. */
export function formatEuros(amount: number, decimals = 4): string {
  return `€${amount.toFixed(decimals)}`;
}

/** `3 VMs`, `1 VM`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `sam-provider …` as the user types it for `provider`. */
export function commandLine(provider: ProviderName, args: string): string {
  return `sam-provider${provider === 'scaleway' ? '' : ` --provider ${provider}`} ${args}`;
}

/** Whether an error is about a block volume rather than a VM (the library's volume messages start so). */
function aboutVolume(error: ProviderError): boolean {
  return /^volume /i.test(error.message);
}

/** What the user can do about `error`, for the error line (`undefined` when there is nothing to add). */
export function errorHint(error: ProviderError, provider: ProviderName): string | undefined {
  switch (error.category) {
    case 'auth':
      return `check ${CREDENTIAL_SOURCES[provider]}`;
    case 'permission':
      return 'the credentials are valid but not allowed to do this; check their permissions';
    case 'not_found':
      return aboutVolume(error)
        ? `\`${commandLine(provider, 'volume list --location <location>')}\` shows the volumes that exist`
        : '`sam-provider list` shows the VMs that exist';
    case 'invalid_input':
      if (error.field === 'vm.size' && error.message.includes('not offered')) {
        return 'choose another --size or --location (see `sam-provider sizes`)';
      }
      return error.field === undefined ? undefined : fieldHint(error.field, provider);
    case 'invalid_request':
      return 'the provider refused the request as sent';
    case 'conflict':
      return aboutVolume(error)
        ? `check the volume with \`${commandLine(provider, 'volume get <id> --location <location>')}\``
        : 'the VM is not in a state that allows this; wait and try again';
    case 'quota':
      return 'an account limit was reached; delete VMs or ask the provider to raise the limit';
    case 'capacity':
      return 'the provider has no capacity for this now; try another location or size';
    case 'rate_limited':
      return 'too many requests; wait and try again';
    case 'unavailable':
      return 'the provider is failing; try again later';
    case 'network':
      return 'the provider could not be reached; check the connection and --api-url';
    case 'timeout':
      return 'no answer in time; the operation may still complete, check with `sam-provider list`';
    case 'invalid_response':
      return 'the provider answered with something unexpected';
    case 'unknown':
      return undefined;
    default: {
      const unknown: never = error.category;
      return String(unknown);
    }
  }
}

/** What to do about the input field an `invalid_input` error names (`vm.location`, `config.zone`, `id`, …). */
function fieldHint(field: string, provider: ProviderName): string | undefined {
  if (field === 'id') {
    const shape = provider === 'scaleway' ? 'a zone and a UUID, e.g. fr-par-1/<uuid>' : 'a number';
    return `a ${PROVIDER_TITLES[provider]} VM id is ${shape}; \`${commandLine(provider, 'list')}\` shows them`;
  }
  const [scope, name = ''] = field.split('.');
  if (scope === 'labels' || name === 'labels') return 'fix --label (key=value)';
  if (scope === 'volume' && name === 'volumeId') {
    return `give the volume id as the provider returned it; \`${commandLine(provider, 'volume list --location <location>')}\` shows them`;
  }
  const flags: Record<string, string> = {
    name: '--name',
    size: '--size',
    sizeGb: '--size-gb',
    serverId: '--vm (a VM id as `sam-provider list` shows it)',
    location: '--location',
    userData: '--user-data',
    image: '--image',
    zone: '--zone / SCW_DEFAULT_ZONE',
    apiUrl: provider === 'scaleway' ? '--api-url / SCW_API_URL' : '--api-url / HCLOUD_ENDPOINT',
    secretKey: '--secret-key / SCW_SECRET_KEY',
    projectId: '--project-id / SCW_DEFAULT_PROJECT_ID',
    token: '--token / HCLOUD_TOKEN',
  };
  const flag = flags[name];
  return flag === undefined ? undefined : `fix ${flag}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One line naming the error's category, what happened to `subject` (e.g. a VM id) and what to do about it, and
 * whether cleaning up after it failed too. Never holds a secret.
 */
export function describeError(error: unknown, provider: ProviderName, subject?: string): string {
  const about = subject === undefined ? '' : `${subject}: `;
  if (!isProviderError(error)) return oneLine(`${about}${messageOf(error)}`);
  const advice = errorHint(error, provider);
  const cleanup =
    error.cleanupErrors.length === 0
      ? ''
      : `; cleaning up also failed, something may be left behind: ${error.cleanupErrors
          .map((cleanupError) =>
            isProviderError(cleanupError)
              ? `${cleanupError.category}: ${cleanupError.message}`
              : messageOf(cleanupError),
          )
          .join('; ')}`;
  return oneLine(
    `${error.category}: ${about}${error.message}${advice === undefined ? '' : ` (${advice})`}${cleanup}`,
  );
}

/** The JSON form of an error, for `--json`. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isProviderError(error)) return error.toJSON();
  return { name: error instanceof Error ? error.name : 'Error', message: oneLine(messageOf(error)) };
}

/**
 * Whether to colour `stream`. Never with `NO_COLOR`; always with `FORCE_COLOR` (but `0` and `false` mean never, as
 * Node reads them); otherwise on a terminal whose `TERM` is not `dumb`. These are picocolors' rules, except that `CI`
 * alone does not colour a pipe, read from the stream written to and the CLI's environment instead of the process's
 * stdout and environment.
 */
export function colorsEnabled(stream: OutputStream, env: Environment): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Whether yocto-spinner can animate on `stream`. It needs a terminal's cursor methods, and it animates only where
 * `CI` is unset and `TERM` is not `dumb`, printing every redraw as a new line otherwise. It reads the process's
 * environment, the CLI reads its own `env`: both must allow it.
 */
function spinnerAnimates(stream: OutputStream, env: Environment): boolean {
  const cursor =
    typeof stream.cursorTo === 'function' &&
    typeof stream.moveCursor === 'function' &&
    typeof stream.clearLine === 'function';
  const allowed = [env, process.env].every(
    (environment) => environment.TERM !== 'dumb' && !('CI' in environment),
  );
  return stream.isTTY === true && cursor && allowed;
}

/** The VM id in a `cleanup_failed` event's resource (`server <id>`), when it names one. */
export function leftoverVMId(resource: string): string | undefined {
  return /^server (\S+)$/.exec(resource)?.[1];
}

/** The volume id in a `cleanup_failed` event's resource (`volume <id>`), when it names one. */
export function leftoverVolumeId(resource: string): string | undefined {
  return /^volume (\S+)$/.exec(resource)?.[1];
}

/** Where a command's results, progress and errors go, according to `--json`, `--quiet` and `--verbose`. */
export class Output {
  readonly options: OutputOptions;
  readonly stdoutColors: Colors;
  readonly stderrColors: Colors;
  /** True when progress is shown as a live spinner; otherwise as plain lines (or not at all with `--quiet`). */
  readonly interactive: boolean;
  readonly #io: CliIo;

  constructor(io: CliIo, options: OutputOptions) {
    this.#io = io;
    this.options = options;
    this.stdoutColors = picocolors.createColors(colorsEnabled(io.stdout, io.env));
    this.stderrColors = picocolors.createColors(colorsEnabled(io.stderr, io.env));
    this.interactive = !options.quiet && spinnerAnimates(io.stderr, io.env);
  }

  get stderr(): OutputStream {
    return this.#io.stderr;
  }

  /** The command's result: `value` as one JSON document with `--json`, otherwise the human text. */
  result(value: unknown, human: () => string): void {
    if (this.options.json) {
      this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = human();
    if (text !== '') this.#io.stdout.write(`${text}\n`);
  }

  /** A progress or information line on stderr. Hidden by `--quiet`. */
  info(line: string): void {
    if (!this.options.quiet) this.#io.stderr.write(`${line}\n`);
  }

  /** A warning on stderr, shown even with `--quiet`. */
  warn(line: string): void {
    this.#io.stderr.write(`${this.stderrColors.yellow('warning:')} ${line}\n`);
  }

  /** The failure line on stderr, shown even with `--quiet`; `subject` is what failed, e.g. a VM id. */
  errorLine(error: unknown, subject?: string): void {
    this.#io.stderr.write(
      `${this.stderrColors.red('sam-provider:')} ${describeError(error, this.options.provider, subject)}\n`,
    );
  }

  /** The failure line on stderr; with `--json` also `{ "error": … }` on stdout. */
  failure(error: unknown): void {
    this.errorLine(error);
    if (this.options.json) this.#io.stdout.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
  }

  /**
   * The provider's events. A resource it could not remove after a failure is a warning, always: it may still be
   * billed. With `--verbose`, each request (headers and body, as the provider redacted them), response, retry and
   * failed request is logged.
   */
  readonly handleEvent = (event: ProviderEvent): void => {
    if (event.type === 'cleanup_failed') {
      const id = leftoverVMId(event.resource);
      const volumeId = leftoverVolumeId(event.resource);
      const { provider } = this.options;
      const advice =
        id !== undefined
          ? `check with \`${commandLine(provider, 'list')}\`, remove it with \`${commandLine(provider, `delete ${id}`)}\``
          : volumeId !== undefined
            ? `check with \`${commandLine(provider, 'volume list --location <location>')}\`, remove it with \`${commandLine(provider, `volume delete ${volumeId} --location <location>`)}\``
            : `check for it in your ${PROVIDER_TITLES[provider]} account and remove it there`;
      this.warn(
        `could not remove ${event.resource} after a failure (${event.category}: ${oneLine(event.message)}); it may still exist and be billed: ${advice}`,
      );
      return;
    }
    if (this.options.verbose) this.#log(event);
  };

  #log(event: ProviderEvent): void {
    const colors = this.stderrColors;
    const write = (line: string) => this.#io.stderr.write(`${colors.dim('http')} ${line}\n`);
    switch (event.type) {
      case 'request': {
        write(`> ${event.method} ${event.url}${event.attempt === 0 ? '' : ` (retry ${event.attempt})`}`);
        for (const [name, value] of Object.entries(event.headers)) write(`>   ${name}: ${value}`);
        if (event.body !== undefined) write(`>   body: ${event.body}`);
        return;
      }
      case 'response': {
        const status = event.status < 400 ? colors.green(event.status) : colors.red(event.status);
        write(`${event.method} ${event.url} ${status} ${colors.dim(`${event.durationMs} ms`)}`);
        return;
      }
      case 'retry':
        write(
          `${colors.yellow('retry')} ${event.method} ${event.url} in ${event.delayMs} ms (${event.category}${event.statusCode === undefined ? '' : ` ${event.statusCode}`})`,
        );
        return;
      case 'error':
        write(`${colors.red('failed')} ${event.method} ${event.url} (${event.category})`);
        return;
      case 'capacity_retry':
        write(
          `${colors.yellow('capacity')} no ${event.serverType} in ${event.location} (attempt ${event.attempt} of ${event.maxAttempts}); retrying in ${event.delayMs} ms`,
        );
        return;
      case 'placement_retry':
        write(
          `${colors.yellow('placement')} retrying ${event.serverType} in ${event.location} in ${event.delayMs} ms`,
        );
        return;
      case 'location_fallback':
        write(`${colors.yellow('fallback')} ${event.serverType}: ${event.from} → ${event.to}`);
        return;
      case 'cleanup_failed':
        // Always shown as a warning by handleEvent, never only logged.
        return;
      default: {
        const unknown: never = event;
        write(JSON.stringify(unknown));
      }
    }
  }
}
