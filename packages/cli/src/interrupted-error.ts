/** The reason the CLI's signal is aborted with when the user interrupts it (Ctrl-C or SIGTERM). */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';

  constructor(message = 'interrupted') {
    super(message);
  }
}
