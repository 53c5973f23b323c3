/**
 * The command line itself is wrong or incomplete (exit code 2): a missing credential part, a flag that does not
 * apply to the chosen provider, a mutation that needs `--yes`. Commander's own parse errors are usage errors too.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A usage message safe to print. Commander quotes a mistyped option as it was typed, so `--secret-keyy=KEY` would
 * echo the key: whatever follows `=` in a quoted option is cut. Values given with a space are never quoted, since
 * `--secret-key` and `--token` take any value and so never fail a check that would name it.
 */
export function safeUsageMessage(message: string): string {
  return message.replace(/'(-{1,2}[^'=\s]*)=[^']*'/g, "'$1=…'");
}
