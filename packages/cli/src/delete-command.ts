import { ProviderError, waitForVM } from '@simple-agent-manager/providers';
import { type CommandContext, confirmChange, confirmTargetAnswers, withTarget } from './commands.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { uniqueVMIds } from './ids.js';
import { errorJson, plural } from './output.js';
import { Progress } from './progress.js';

/** The options of `delete`. */
export interface DeleteOptions {
  /** Wait until each VM is gone. */
  wait: boolean;
  /** A VM that does not exist is not a failure (exit code 0): for scripts that remove what may be gone already. */
  missingOk: boolean;
}

/** What `delete` did with one id. */
type DeleteOutcome =
  | { id: string; outcome: 'deleted' }
  | { id: string; outcome: 'not_found' }
  | { id: string; outcome: 'failed'; error: unknown };

/** `VM fr-par-1/…` or `2 VMs (a, b)`. */
function vmList(ids: readonly string[]): string {
  return ids.length === 1 ? `VM ${ids[0]}` : `${plural(ids.length, 'VM')} (${ids.join(', ')})`;
}

/** The closing line of `delete`: what was deleted, what was not found, what failed. */
function deleteSummary(given: readonly string[], outcomes: readonly DeleteOutcome[]): string {
  const count = (outcome: DeleteOutcome['outcome']) =>
    outcomes.filter((item) => item.outcome === outcome).length;
  const deleted = count('deleted');
  const notFound = count('not_found');
  const failed = count('failed');
  if (given.length === 1) {
    if (deleted === 1) return `deleted VM ${given[0]}`;
    if (notFound === 1) return `VM ${given[0]} not found, nothing deleted`;
    return `could not delete VM ${given[0]}`;
  }
  const parts = [
    deleted === given.length
      ? `deleted ${plural(deleted, 'VM')}`
      : `deleted ${deleted} of ${plural(given.length, 'VM')}`,
    ...(notFound === 0 ? [] : [`${notFound} not found`]),
    ...(failed === 0 ? [] : [`${failed} failed`]),
  ];
  return parts.join('; ');
}

export async function deleteCommand(
  context: CommandContext,
  givenIds: readonly string[],
  options: DeleteOptions,
): Promise<number> {
  const { output, requestOptions } = context;
  // Every id is checked before anything is read or deleted; an id given twice is deleted once.
  const given = uniqueVMIds(context.connection.provider, givenIds, 'argument <id...>');
  return withTarget(context, async (target) => {
    const { provider } = target;
    const { signal } = requestOptions;
    // One read per id tells a VM to delete from one that does not exist (the library's deleteVM resolves for
    // both), and lets the question name only what will be deleted.
    const reads = await Promise.allSettled(given.map((id) => provider.getVM(id, requestOptions)));
    signal?.throwIfAborted();
    // The same VM given two ways (`fr-par-1/<uuid>` and the bare `<uuid>`) is one VM: the first id given stands.
    const resolved = new Set<string>();
    const ids = given.filter((_, index) => {
      const read = reads[index];
      if (read?.status !== 'fulfilled' || read.value === null) return true;
      if (resolved.has(read.value.id)) return false;
      resolved.add(read.value.id);
      return true;
    });
    const outcomes = new Map<string, DeleteOutcome>();
    given.forEach((id, index) => {
      const read = reads[index];
      if (!ids.includes(id)) return;
      if (read?.status === 'rejected') outcomes.set(id, { id, outcome: 'failed', error: read.reason });
      else if (read?.value === null) outcomes.set(id, { id, outcome: 'not_found' });
    });
    if ([...outcomes.values()].some((item) => item.outcome === 'not_found')) {
      await confirmTargetAnswers(context, target);
    }
    if (ids.length === 1 && outcomes.get(ids[0] as string)?.outcome === 'failed') {
      throw (outcomes.get(ids[0] as string) as { error: unknown }).error;
    }
    const existing = ids.filter((id) => !outcomes.has(id));
    const progress = new Progress(output);
    if (existing.length > 0) {
      await confirmChange(
        context,
        target,
        `Delete ${vmList(existing)} with ${existing.length === 1 ? 'its boot disk and IP' : 'their boot disks and IPs'}? Attached data volumes are detached and kept.`,
        'delete VMs',
      );
      progress.start(`Deleting ${vmList(existing)}…`);
      for (const id of ids)
        if (outcomes.get(id)?.outcome === 'not_found') progress.update(id, `${id}  not found`);
      const results = await Promise.allSettled(
        existing.map(async (id) => {
          progress.update(id, `${id}  deleting`);
          await provider.deleteVM(id, requestOptions);
          if (options.wait) {
            await waitForVM(provider, id, {
              until: 'deleted',
              ...target.wait,
              ...requestOptions,
              onPoll: (read) =>
                progress.update(id, `${id}  ${read === null ? 'deleted' : read.statusDetail}`),
            });
          }
          progress.update(id, `${id}  deleted`);
        }),
      );
      existing.forEach((id, index) => {
        const result = results[index];
        outcomes.set(
          id,
          result?.status === 'rejected'
            ? { id, outcome: 'failed', error: result.reason }
            : { id, outcome: 'deleted' },
        );
      });
    }
    const ordered = ids.map((id) => outcomes.get(id) as DeleteOutcome);
    const missing = ordered.filter((item) => item.outcome === 'not_found');
    const failed = ordered.flatMap((item) => (item.outcome === 'failed' ? [item] : []));
    const ok = failed.length === 0 && (options.missingOk || missing.length === 0);
    const summary = deleteSummary(ids, ordered);
    if (ok) progress.succeed(summary);
    else progress.fail(summary, signal);
    signal?.throwIfAborted();
    if (!options.missingOk) {
      for (const item of missing) {
        const error = new ProviderError({
          provider: target.providerName,
          category: 'not_found',
          message: 'VM not found, nothing deleted',
        });
        output.errorLine(error, item.id);
      }
    }
    for (const failure of failed) output.errorLine(failure.error, failure.id);
    const idsWith = (outcome: DeleteOutcome['outcome']) =>
      ordered.filter((item) => item.outcome === outcome).map((item) => item.id);
    output.result(
      {
        results: ordered.map((item) =>
          item.outcome === 'failed' ? { ...item, error: errorJson(item.error) } : item,
        ),
        deleted: idsWith('deleted'),
        notFound: idsWith('not_found'),
        failed: idsWith('failed'),
      },
      () =>
        ordered
          .flatMap((item) => {
            if (item.outcome === 'deleted') return [`${output.stdoutColors.green('✓')} deleted ${item.id}`];
            if (item.outcome === 'not_found' && options.missingOk) {
              return [`${output.stdoutColors.dim('-')} ${item.id} not found, nothing deleted`];
            }
            return [];
          })
          .join('\n'),
    );
    return ok ? EXIT_OK : EXIT_FAILURE;
  });
}
