import { throwIfProviderRequestAborted } from './abort.js';
import { isProviderError, isTransientFailure, ProviderError, withMessage } from './errors.js';
import type { Leftover } from './leftovers.js';
import type { CallOptions } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext } from './scaleway-config.js';
import { readScalewayServer } from './scaleway-listing.js';
import { type BootVolume, findOwnedVolumes, markBootVolume } from './scaleway-ownership.js';
import type { ScalewayServer } from './scaleway-schemas.js';
import { pauseWithin } from './waits.js';

/** How many state changes one delete follows before giving up (each is a re-read after a refusal or a wait). */
const MAX_DELETE_STEPS = 8;
const MAX_POLL_INTERVAL_MS = 5_000;
/** Tries of a mark after the server is gone (each with the client's own retries). */
const MARK_ATTEMPTS = 3;

/** A wait's budget: where it must stop, the caller's signal and the values to keep out of errors. */
interface WaitBudget extends CallOptions {
  deadline: number;
}

/**
 * Delete a server from any state, then its boot volume (§6.4). Only what the VM itself is goes: the server, its
 * boot (root, key `"0"`) volume whatever its kind, and its dynamic IP. Every other volume is a data volume: the API
 * detaches it (§6.1, §6.2, §15.10) and it stays, `available`, with its tags. Waits only for a transient state to
 * settle or the boot volume to detach, at most `waitTimeoutMs` from now. Once the server is gone its boot volume is
 * deleted even if the caller aborts meanwhile: stopping half-way would leave it behind with nothing pointing at it.
 *
 * Converges: right before the request that removes the server and leaves its boot volume behind (a `DELETE`, or a
 * `terminate` of a server booting from a Block volume), the boot volume is marked as the VM's own
 * (`scaleway-ownership.ts`), so a `deleteVM` called again after the server went finds it by the VM's id
 * ({@link deleteOwnedScalewayVolumes}).
 */
export async function destroyScalewayServer(
  context: ScalewayContext,
  zone: string,
  server: ScalewayServer,
  call: CallOptions,
): Promise<void> {
  const budget: WaitBudget = { ...call, deadline: Date.now() + context.waitTimeoutMs };
  // Every volume seen on any read: the server may show volumes a later read no longer lists (§6.4).
  // `data`: found to be a data volume although it sat in the boot slot (see markLeftBehind): never a boot volume.
  const volumes = new Map<
    string,
    { type: string; boot: boolean; tags: readonly string[] | undefined; data?: boolean }
  >();
  const remember = (read: ScalewayServer | undefined) => {
    for (const [key, volume] of Object.entries(read?.volumes ?? {})) {
      const known = volumes.get(volume.id);
      volumes.set(volume.id, {
        type: volume.volume_type ?? 'l_ssd',
        boot: known?.data !== true && ((known?.boot ?? false) || key === '0' || volume.boot === true),
        tags: volume.tags ?? known?.tags,
        ...(known?.data === true ? { data: true } : {}),
      });
    }
    return read;
  };
  const marked = new Set<string>();
  /** Boot volumes a mark after the server went found gone already (404): nothing to delete. */
  const gone = new Set<string>();
  /** Mark one boot volume (see {@link markBootVolume}); a data volume found in the boot slot is kept from then on. */
  const mark = async (read: ScalewayServer, id: string, call: CallOptions = budget) => {
    const volume = volumes.get(id);
    if (volume === undefined) return 'gone' as const;
    const outcome = await markBootVolume(context, zone, read, { id, ...volume }, call);
    if (outcome === 'marked') marked.add(id);
    if (outcome === 'data') volumes.set(id, { ...volume, boot: false, data: true });
    return outcome;
  };
  /**
   * Mark the boot volumes `removal` leaves behind, once each. A transient failure stops the delete before anything
   * is removed (the next call marks again); a refusal for good (a permission, a rule of the API) does not block the
   * delete: the volume is then deleted unmarked, and a failure of that says it cannot be found again.
   */
  const markLeftBehind = async (read: ScalewayServer, removal: 'terminate' | 'delete') => {
    for (const [id, volume] of volumes) {
      if (!volume.boot || marked.has(id) || (removal === 'terminate' && volume.type !== 'sbs_volume'))
        continue;
      try {
        await mark(read, id);
      } catch (error) {
        if (isTransientFailure(error) || !isProviderError(error)) throw error;
      }
    }
  };
  /**
   * The request that removes the server. Its answers lost, it may have gone through: the error says so, and what is
   * marked to be found again (calling deleteVM again finishes the job).
   */
  const removing = async (id: string, request: () => Promise<void>) => {
    try {
      return await stateChange(request);
    } catch (error) {
      if (!isProviderError(error, 'network', 'timeout')) throw error;
      const kept = [...marked].map((volume) => `${zone}/${volume}`);
      throw withMessage(
        error,
        `${error.message}; the removal of server ${zone}/${id} may have gone through${
          kept.length === 0 ? '' : ` (boot volume ${kept.join(', ')} is marked as its own, and may remain)`
        }: calling deleteVM again finishes the job`,
      );
    }
  };
  // terminate deletes every l_ssd volume (§6.2): with a local data volume the server is stopped and DELETEd instead.
  const hasLocalDataVolume = () =>
    [...volumes.values()].some((volume) => !volume.boot && volume.type !== 'sbs_volume');
  let current = remember(server);
  let terminated = false;
  for (let step = 0, delay = context.pollIntervalMs; current !== undefined; step++) {
    if (step >= MAX_DELETE_STEPS) {
      throw conflict(
        `server ${zone}/${server.id} kept refusing to be deleted (${current.state}); try again`,
        true,
      );
    }
    const read: ScalewayServer = current;
    const id = read.id;
    if (read.protected === true) {
      throw conflict(`server ${zone}/${id} is protected; remove its protection to delete it`, false);
    }
    let outcome: 'done' | 'gone' | 'refused' = 'refused';
    switch (read.state) {
      case 'running':
      case 'stopped in place':
        if (hasLocalDataVolume()) {
          // §6.1: stopped, a DELETE leaves the l_ssd volumes; the poweroff is followed by the wait below.
          outcome = await stateChange(() =>
            context.client.action(zone, id, 'poweroff', { secrets: budget.secrets }),
          );
          if (outcome === 'done') {
            current = remember(await waitForStable(context, zone, id, budget));
            continue;
          }
          break;
        }
        await markLeftBehind(read, 'terminate');
        // §6.2: terminate is the fast path from these states and removes the l_ssd volumes itself.
        // Sent without the caller's signal: a request cut off mid-way may still delete the server, and then
        // nothing would delete its volumes.
        outcome = await removing(id, () =>
          context.client.action(zone, id, 'terminate', { secrets: budget.secrets }),
        );
        terminated = outcome === 'done';
        break;
      case 'stopped':
        await markLeftBehind(read, 'delete');
        // §6.1: DELETE works only when stopped, and leaves every volume behind.
        outcome = await removing(id, () =>
          context.client.deleteServer(zone, id, { secrets: budget.secrets }),
        );
        break;
      case 'starting':
      case 'stopping':
        current = remember(await waitForStable(context, zone, id, budget));
        continue;
      case 'locked':
        throw conflict(`server ${zone}/${id} is locked by Scaleway and cannot be deleted now`, false);
      default:
        throw conflict(`server ${zone}/${id} is in an unknown state "${read.state}"`, false);
    }
    if (outcome !== 'refused') break;
    // Refused because the state moved (§5.5): give it a moment, then look again.
    await pause(context, delay, budget, `server ${zone}/${id} to accept its deletion`);
    delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
    current = remember(await readScalewayServer(context, zone, id, budget));
  }
  // The boot volume only: after our terminate an l_ssd one is already gone, an SBS one is detached (§6.2).
  const candidates = [...volumes.keys()].filter((id) => {
    const volume = volumes.get(id);
    return volume?.boot === true && (!terminated || volume.type === 'sbs_volume');
  });
  // One not marked yet (the server went before we could mark it, or the mark was refused): it is checked (never
  // delete a data volume) and marked now, so that it stays findable should its delete fail. A Block volume that
  // cannot be checked is not deleted: it is reported as left.
  const unchecked: RemainingVolume[] = [];
  // The server is gone, so nothing else can be done meanwhile: a mark that fails for a moment is tried again, and
  // neither it nor the deletes stop when the caller aborts (that would leave the volume with nothing pointing at it).
  const after: WaitBudget = {
    deadline: Math.max(budget.deadline, Date.now() + context.pollIntervalMs),
    secrets: budget.secrets,
  };
  for (const id of candidates) {
    if (marked.has(id)) continue;
    try {
      for (let attempt = 1, delay = context.pollIntervalMs; ; attempt++, delay *= 2) {
        try {
          // After the server went, a 404 means the volume went too (with a terminate, or a lost delete answer).
          if ((await mark(server, id, after)) === 'gone') gone.add(id);
          break;
        } catch (error) {
          if (attempt >= MARK_ATTEMPTS || !isTransientFailure(error)) throw error;
          await pause(context, delay, after, `volume ${zone}/${id} to be marked`);
        }
      }
    } catch {
      const volume = volumes.get(id);
      if (volume?.type === 'sbs_volume') {
        unchecked.push({ id, type: volume.type, marked: false });
        volumes.set(id, { ...volume, boot: false });
      }
    }
  }
  // One whose mark answered 404 is most likely gone, yet its DELETE is still sent (a 404 there is done): an API that
  // lacks the mark's route answers 404 too. Only when that DELETE's answers are lost does the 404 decide.
  const remaining = candidates.flatMap((id) => {
    const volume = volumes.get(id);
    return volume?.boot === true
      ? [{ id, type: volume.type, marked: marked.has(id), likelyGone: gone.has(id) }]
      : [];
  });
  await deleteVolumes(context, zone, server.id, remaining, after, unchecked);
  throwIfProviderRequestAborted(budget);
}

/**
 * The server `serverUuid` is gone (a `deleteVM` called again): delete the boot volumes marked as its own that are
 * left (one Block and one Instance list, at once; nothing more when none is left).
 */
export async function deleteOwnedScalewayVolumes(
  context: ScalewayContext,
  zone: string,
  serverUuid: string,
  call: CallOptions,
): Promise<void> {
  const owned = await findOwnedVolumes(context, zone, serverUuid, call);
  if (owned.length === 0) return;
  await deleteVolumes(
    context,
    zone,
    serverUuid,
    owned.map((volume) => ({ ...volume, marked: true })),
    { deadline: Date.now() + context.waitTimeoutMs, secrets: call.secrets },
  );
  throwIfProviderRequestAborted(call);
}

interface RemainingVolume extends BootVolume {
  /** Carries the ownership marks: a `deleteVM` called again finds it. */
  marked: boolean;
  /** Its mark answered 404 after the server went. */
  likelyGone?: boolean;
}

/**
 * Delete every remaining volume of a deleted server; any left (and each `unchecked` one, not deleted) is named in
 * one error (and reported). The error is retryable exactly when calling `deleteVM` again will finish the job: every
 * failure was transient and every volume left carries the marks that let the next call find it.
 */
async function deleteVolumes(
  context: ScalewayContext,
  zone: string,
  serverId: string,
  remaining: readonly RemainingVolume[],
  budget: WaitBudget,
  unchecked: readonly RemainingVolume[] = [],
): Promise<void> {
  const results = await Promise.allSettled(
    remaining.map(async (volume) => {
      try {
        await deleteVolume(context, zone, volume, budget);
      } catch (error) {
        // Lost answers: the delete may have gone through. One read tells (a 404 is done); when the read fails too,
        // the 404 its mark met decides (then any transient failure is only the API failing to say so again).
        const lost = isProviderError(error, 'network', 'timeout');
        if (!lost && !(volume.likelyGone === true && isTransientFailure(error))) throw error;
        const there = await stillThere(context, zone, volume, budget);
        if (there === true || (there === undefined && volume.likelyGone !== true)) throw error;
      }
    }),
  );
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  if (failures.length === 0 && unchecked.length === 0) return;
  const left = [...unchecked, ...remaining.filter((_, index) => results[index]?.status === 'rejected')];
  const findable = left.map((volume) => volume.marked);
  if (unchecked.length > 0) {
    failures.push(
      ...unchecked.map(
        (volume) =>
          new ProviderError({
            provider: SCALEWAY_PROVIDER,
            category: 'unknown',
            retryable: false,
            message: `volume ${zone}/${volume.id} could not be read, so it was not deleted (it may be a data volume)`,
          }),
      ),
    );
  }
  const first = failures[0];
  const retryable =
    findable.every(Boolean) && failures.every((failure) => isProviderError(failure) && failure.retryable);
  const error = new ProviderError({
    provider: SCALEWAY_PROVIDER,
    category: isProviderError(first) ? first.category : 'unknown',
    retryable,
    message: `The removal of server ${zone}/${serverId} went through, but ${left.length} volume(s) remain: ${left
      .map((volume) => `${zone}/${volume.id} (${volume.type})`)
      .join(', ')}; ${
      retryable
        ? 'calling deleteVM again deletes them'
        : findable.every(Boolean)
          ? 'deleteLeftovers deletes them once the API accepts it'
          : 'delete them through the Instance or Block API'
    }`,
  });
  error.cleanupErrors.push(...failures);
  context.client.http.cleanupFailed(undefined, error, `volumes of server ${zone}/${serverId}`);
  throw error;
}

/** Whether a volume still exists: `false` on a 404, `undefined` when the read fails too. */
async function stillThere(
  context: ScalewayContext,
  zone: string,
  volume: BootVolume,
  call: CallOptions,
): Promise<boolean | undefined> {
  try {
    if (volume.type === 'sbs_volume') await context.client.getBlockVolume(zone, volume.id, call);
    else await context.client.getLocalVolume(zone, volume.id, call);
    return true;
  } catch (error) {
    return isProviderError(error, 'not_found') ? false : undefined;
  }
}

/** Run a state-changing request: `done`, `gone` (the server no longer exists) or `refused` by the server's state. */
async function stateChange(request: () => Promise<void>): Promise<'done' | 'gone' | 'refused'> {
  try {
    await request();
    return 'done';
  } catch (error) {
    if (isProviderError(error, 'not_found')) return 'gone';
    if (isProviderError(error, 'conflict') && error.code !== 'locked') return 'refused';
    throw error;
  }
}

/** §6.4 step 6: l_ssd through the Instance API, sbs through the Block API once detached; 404 means done. */
async function deleteVolume(
  context: ScalewayContext,
  zone: string,
  volume: { id: string; type: string },
  budget: WaitBudget,
): Promise<void> {
  const remove =
    volume.type === 'sbs_volume'
      ? () => context.client.deleteBlockVolume(zone, volume.id, budget)
      : () => context.client.deleteLocalVolume(zone, volume.id, budget);
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    try {
      await remove();
      return;
    } catch (error) {
      if (isProviderError(error, 'not_found')) return;
      // Still attached or detaching (§6.3: the CLI waits for "available" with no references).
      if (!isProviderError(error, 'conflict')) throw error;
      await pause(context, delay, budget, `volume ${zone}/${volume.id} to be released`);
    }
  }
}

/** Poll until the server leaves starting/stopping; `undefined` once it is gone. */
async function waitForStable(
  context: ScalewayContext,
  zone: string,
  id: string,
  budget: WaitBudget,
): Promise<ScalewayServer | undefined> {
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    await pause(context, delay, budget, `server ${zone}/${id} to leave its transient state`);
    const server = await readScalewayServer(context, zone, id, budget);
    if (server === undefined || (server.state !== 'starting' && server.state !== 'stopping')) return server;
  }
}

function pause(context: ScalewayContext, delay: number, budget: WaitBudget, what: string): Promise<void> {
  return pauseWithin(SCALEWAY_PROVIDER, budget, delay, what, context.waitTimeoutMs);
}

function conflict(message: string, retryable: boolean): ProviderError {
  return new ProviderError({ provider: SCALEWAY_PROVIDER, category: 'conflict', retryable, message });
}

/**
 * Delete one leftover (see `findScalewayLeftovers`): a volume through the Block or the Instance API after its kind
 * (one attached again since it was found is refused by the API, never pulled out of its server); the server of an
 * abandoned create as `deleteVM` would, boot volume included.
 */
export async function deleteScalewayLeftover(
  context: ScalewayContext,
  leftover: Leftover,
  call: CallOptions,
): Promise<void> {
  const [zone, uuid] = leftover.id.split('/') as [string, string];
  if (leftover.kind === 'server') {
    const server = await readScalewayServer(context, zone, uuid, call);
    if (server !== undefined) await destroyScalewayServer(context, zone, server, call);
  } else if (leftover.type === 'sbs_volume') {
    await context.client.deleteBlockVolume(zone, uuid, call);
  } else {
    await context.client.deleteLocalVolume(zone, uuid, call);
  }
}
