/**
 * The command line itself is wrong or incomplete (exit code 2): a missing credential part, a flag that does not
 * apply to the chosen provider, a mutation that needs `--yes`. Commander's own parse errors are usage errors too.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
