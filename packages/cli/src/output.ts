import { isProviderError, type ProviderEvent } from '@simple-agent-manager/providers';
import picocolors from 'picocolors';
import type { CliIo, OutputStream } from './cli-io.js';
import { commandLine, errorHint, type HintContext } from './error-hints.js';
import { PROVIDER_TITLES, type TargetKind } from './target.js';

/** Colour functions; identity functions when the stream is not to be coloured. */
export type Colors = ReturnType<typeof picocolors.createColors>;

type Environment = Readonly<Record<string, string | undefined>>;

/** The output flags every command shares, and what its hints depend on. */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  hints: HintContext;
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
export function describeError(error: unknown, hints: HintContext, subject?: string): string {
  const about = subject === undefined ? '' : `${subject}: `;
  if (!isProviderError(error)) return oneLine(`${about}${messageOf(error)}`);
  const advice = errorHint(error, hints);
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

  /** What hints depend on: set {@link setTarget} once the command's target is open. */
  get hints(): HintContext {
    return this.options.hints;
  }

  /** The target the command acts on, once open: hints differ on the embedded emulator, a sandbox and an account. */
  setTarget(kind: TargetKind): void {
    this.options.hints.target = kind;
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
      `${this.stderrColors.red('sam-provider:')} ${describeError(error, this.options.hints, subject)}\n`,
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
      const { provider } = this.options.hints;
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
