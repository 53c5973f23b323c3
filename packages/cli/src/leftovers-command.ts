import { hasLeftoverSweep, isProviderError, type Leftover } from '@simple-agent-manager/providers';
import { type CommandContext, confirmChange, formatLabels, withTarget } from './commands.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { errorJson, formatTable, plural } from './output.js';

/** The options of `leftovers`. */
export interface LeftoversOptions {
  label?: Record<string, string>;
  /** Delete what is found (after a confirmation on a real account). */
  delete: boolean;
}

function leftoverTable(leftovers: readonly Leftover[], context: CommandContext): string {
  const colors = context.output.stdoutColors;
  return formatTable(
    ['ID', 'KIND', 'LOCATION', 'WHAT', 'LABELS'],
    leftovers.map((leftover) => [
      leftover.id,
      leftover.type === leftover.kind ? leftover.kind : `${leftover.kind} (${leftover.type})`,
      leftover.location,
      leftover.description,
      formatLabels(leftover.labels),
    ]),
    colors,
  );
}

/**
 * `leftovers [--label k=v]… [--delete]`: what the library marked as a VM's own and is still billed although the VM
 * is gone (the providers' `findLeftovers`); `--delete` removes it (`deleteLeftovers`). Exit 1 when something could
 * not be deleted.
 */
export async function leftoversCommand(context: CommandContext, options: LeftoversOptions): Promise<number> {
  const { output, requestOptions } = context;
  const labels = options.label ?? {};
  return withTarget(context, async (target) => {
    const { provider } = target;
    if (!hasLeftoverSweep(provider)) throw new Error(`${target.providerName} has no leftovers sweep`);
    const found = await provider.findLeftovers(labels, requestOptions);
    if (!options.delete || found.length === 0) {
      output.result({ leftovers: found, deleted: [] }, () =>
        found.length === 0
          ? 'No leftovers.'
          : `${leftoverTable(found, context)}\n${output.stdoutColors.dim(
              `${plural(found.length, 'leftover')}, still billed: \`sam-provider leftovers${Object.entries(
                labels,
              )
                .map(([key, value]) => ` --label ${key}=${value}`)
                .join('')} --delete\` deletes ${found.length === 1 ? 'it' : 'them'}`,
            )}`,
      );
      return EXIT_OK;
    }
    await confirmChange(
      context,
      target,
      `Delete ${plural(found.length, 'leftover')} (${found.map((leftover) => leftover.id).join(', ')})? Data volumes are never among them.`,
      'delete leftovers',
    );
    try {
      // Exactly what was shown and confirmed (and is still a leftover now): nothing found since is deleted unasked.
      const deleted = await provider.deleteLeftovers(found, requestOptions);
      output.result({ leftovers: deleted, deleted: deleted.map((leftover) => leftover.id) }, () =>
        deleted.length === 0
          ? 'No leftovers.'
          : deleted
              .map(
                (leftover) =>
                  `${output.stdoutColors.green('✓')} deleted ${leftover.id} (${leftover.description})`,
              )
              .join('\n'),
      );
      return EXIT_OK;
    } catch (error) {
      if (!isProviderError(error) || error.cleanupErrors.length === 0) throw error;
      // Some were deleted, some not: the error names each one left, its context says which went.
      const gone = error.context?.deleted;
      const deleted = Array.isArray(gone) ? gone.filter((id): id is string => typeof id === 'string') : [];
      output.errorLine(error);
      output.result({ leftovers: found, deleted, error: errorJson(error) }, () =>
        deleted.map((id) => `${output.stdoutColors.green('✓')} deleted ${id}`).join('\n'),
      );
      return EXIT_FAILURE;
    }
  });
}
