import type { Writable } from 'node:stream';
import yoctoSpinner, { type Spinner } from 'yocto-spinner';
import type { Output } from './output.js';

/**
 * Progress of one step on stderr, with one line per item (a VM) that changes as its state changes. Where the
 * spinner can animate it is redrawn in place; otherwise each change is printed once as a plain line. `--quiet`
 * hides it all.
 */
export class Progress {
  readonly #output: Output;
  /** The lines of the current step, drawn under the spinner. */
  readonly #items = new Map<string, string>();
  /** The last line printed per item, across steps: a line is printed only when it says something new. */
  readonly #printed = new Map<string, string>();
  #title = '';
  #spinner: Spinner | undefined;

  constructor(output: Output) {
    this.#output = output;
  }

  start(title: string): void {
    this.#title = title;
    this.#items.clear();
    if (this.#output.interactive) {
      this.#spinner = yoctoSpinner({
        text: title,
        // `interactive` checked that it is a terminal stream with cursor methods.
        stream: this.#output.stderr as unknown as Writable,
        // Its own handler would exit at once on Ctrl-C; the CLI's handler cleans up first.
        handleSignals: false,
      }).start();
    }
  }

  /** Set the line of one item: redrawn under the spinner, or printed when it differs from the last one printed. */
  update(key: string, line: string): void {
    if (this.#spinner !== undefined) {
      if (this.#items.get(key) === line) return;
      this.#items.set(key, line);
      this.#spinner.text = [this.#title, ...[...this.#items.values()].map((item) => `  ${item}`)].join('\n');
      return;
    }
    if (this.#printed.get(key) === line) return;
    this.#printed.set(key, line);
    this.#output.info(`  ${line}`);
  }

  succeed(text: string): void {
    this.#finish(`${this.#output.stderrColors.green('✓')} ${text}`);
  }

  /**
   * End the step as failed with `text`; or, when `signal` has fired, as interrupted: the step did not fail, the
   * user stopped it (`✗ interrupted: waiting for agent-1 to be running`).
   */
  fail(text: string, signal?: AbortSignal): void {
    const interrupted = signal?.aborted === true && this.#title !== '';
    const line = interrupted
      ? `interrupted: ${this.#title.charAt(0).toLowerCase()}${this.#title.slice(1).replace(/…$/, '')}`
      : text;
    this.#finish(`${this.#output.stderrColors.red('✗')} ${line}`);
  }

  #finish(line: string): void {
    if (this.#spinner !== undefined) {
      this.#spinner.stop();
      this.#spinner = undefined;
    }
    this.#output.info(line);
  }
}
