import { type HttpEvent, isProviderError, type ProviderError } from '@simple-agent-manager/providers';
import picocolors from 'picocolors';
import type { CliIo, OutputStream } from './cli-io.js';
import { CREDENTIAL_SOURCES, type ProviderName } from './target.js';

/** Colour functions; identity functions when the stream is not a terminal. */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** The output flags every command shares. */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
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

/** Hints for each error category: what the user can do about it. */
function hint(error: ProviderError, provider: ProviderName | undefined): string | undefined {
  switch (error.category) {
    case 'auth':
      return `check ${provider === undefined ? 'the credentials' : CREDENTIAL_SOURCES[provider]}`;
    case 'permission':
      return 'the credentials are valid but not allowed to do this; check their permissions';
    case 'not_found':
      return '`sam-provider list` shows the VMs that exist';
    case 'invalid_input':
      if (error.field === 'vm.size' && error.message.includes('not offered')) {
        return 'choose another --size or --location (see `sam-provider sizes`)';
      }
      return error.field === undefined ? undefined : `fix ${flagOf(error.field, provider)}`;
    case 'invalid_request':
      return 'the provider refused the request as sent';
    case 'conflict':
      return 'the VM is not in a state that allows this; wait and try again';
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

/** The flag (and variable) behind a field named by an `invalid_input` error. */
function flagOf(field: string, provider: ProviderName | undefined): string {
  const [scope, name = ''] = field.split('.');
  if (scope === 'labels') return '--label';
  const flags: Record<string, string> = {
    name: '--name',
    size: '--size',
    location: '--location',
    labels: '--label',
    userData: '--user-data',
    image: '--image',
    zone: '--zone / SCW_DEFAULT_ZONE',
    apiUrl: provider === 'scaleway' ? '--api-url / SCW_API_URL' : '--api-url / HCLOUD_ENDPOINT',
    secretKey: '--secret-key / SCW_SECRET_KEY',
    projectId: '--project-id / SCW_DEFAULT_PROJECT_ID',
    token: '--token / HCLOUD_TOKEN',
  };
  return flags[name] ?? field;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** One line naming the error's category and what to do about it. Never holds a secret. */
export function describeError(error: unknown, provider?: ProviderName): string {
  if (isProviderError(error)) {
    const advice = hint(error, provider);
    return oneLine(`${error.category}: ${error.message}${advice === undefined ? '' : ` (${advice})`}`);
  }
  return oneLine(error instanceof Error ? error.message : String(error));
}

/** The JSON form of an error, for `--json`. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (isProviderError(error)) return error.toJSON();
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: oneLine(error instanceof Error ? error.message : String(error)),
  };
}

function isTerminal(stream: OutputStream): boolean {
  return stream.isTTY === true;
}

/** Where a command's results, progress and errors go, according to `--json`, `--quiet` and `--verbose`. */
export class Output {
  readonly options: OutputOptions;
  /** Colours for stdout. */
  readonly out: Colors;
  /** Colours for stderr. */
  readonly err: Colors;
  readonly #io: CliIo;

  constructor(io: CliIo, options: OutputOptions) {
    this.#io = io;
    this.options = options;
    this.out = picocolors.createColors(isTerminal(io.stdout));
    this.err = picocolors.createColors(isTerminal(io.stderr));
  }

  /** True when progress may be shown as a live spinner. */
  get interactive(): boolean {
    return !this.options.quiet && isTerminal(this.#io.stderr);
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
    this.#io.stderr.write(`${this.err.yellow('warning:')} ${line}\n`);
  }

  /** The failure line on stderr, shown even with `--quiet`. */
  errorLine(error: unknown, provider: ProviderName): void {
    this.#io.stderr.write(`${this.err.red('sam-provider:')} ${describeError(error, provider)}\n`);
  }

  /** The failure line on stderr; with `--json` also `{ "error": … }` on stdout. */
  failure(error: unknown, provider: ProviderName): void {
    this.errorLine(error, provider);
    if (this.options.json) this.#io.stdout.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
  }

  /** `--verbose`: one stderr line per response, retry or failed request. The events carry no secrets. */
  readonly logEvent = (event: HttpEvent): void => {
    if (!this.options.verbose) return;
    const colors = this.err;
    switch (event.type) {
      case 'request':
        return;
      case 'response': {
        const status = event.status < 400 ? colors.green(event.status) : colors.red(event.status);
        this.#io.stderr.write(
          `${colors.dim('http')} ${event.method} ${event.url} ${status} ${colors.dim(`${event.durationMs} ms`)}\n`,
        );
        return;
      }
      case 'retry':
        this.#io.stderr.write(
          `${colors.dim('http')} ${colors.yellow('retry')} ${event.method} ${event.url} in ${event.delayMs} ms (${event.category}${event.statusCode === undefined ? '' : ` ${event.statusCode}`})\n`,
        );
        return;
      case 'error':
        this.#io.stderr.write(
          `${colors.dim('http')} ${colors.red('failed')} ${event.method} ${event.url} (${event.category})\n`,
        );
        return;
      default: {
        // Event kinds added to the library later are shown as they come: events carry no secrets.
        const other: { type: string } = event;
        this.#io.stderr.write(`${colors.dim('http')} ${other.type} ${JSON.stringify(other)}\n`);
      }
    }
  };
}
