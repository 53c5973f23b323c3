/** Success (for `demo`: every step and the leftover check passed). */
export const EXIT_OK = 0;
/** The provider refused or failed, a VM was not found, a demo step or check failed, or a confirmation was declined. */
export const EXIT_FAILURE = 1;
/** The command line is wrong or incomplete, or a change to a real account has no one to confirm it. */
export const EXIT_USAGE = 2;
/** Interrupted (Ctrl-C, SIGTERM) after cleaning up: 128 + SIGINT's number, as shells report it. */
export const EXIT_INTERRUPTED = 130;
