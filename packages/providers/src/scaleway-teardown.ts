import { throwIfProviderRequestAborted } from './abort.js';
import { isProviderError, ProviderError } from './errors.js';
import type { CallOptions } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext } from './scaleway-config.js';
import { readScalewayServer } from './scaleway-listing.js';
import { type BootVolume, findOwnedVolumes, markBootVolume } from './scaleway-ownership.js';
import type { ScalewayServer } from './scaleway-schemas.js';
import { pauseWithin } from './waits.js';

/** How many state changes one delete follows before giving up (each is a re-read after a refusal or a wait). */
const MAX_DELETE_STEPS = 8;
const MAX_POLL_INTERVAL_MS = 5_000;

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
  const volumes = new Map<string, { type: string; boot: boolean; tags: readonly string[] | undefined }>();
  const remember = (read: ScalewayServer | undefined) => {
    for (const [key, volume] of Object.entries(read?.volumes ?? {})) {
      const known = volumes.get(volume.id);
      volumes.set(volume.id, {
        type: volume.volume_type ?? 'l_ssd',
        boot: (known?.boot ?? false) || key === '0' || volume.boot === true,
        tags: volume.tags ?? known?.tags,
      });
    }
    return read;
  };
  const marked = new Set<string>();
  /** Mark the boot volumes `removal` leaves behind, once each; a 404 means there is nothing left to mark. */
  const markLeftBehind = async (read: ScalewayServer, removal: 'terminate' | 'delete') => {
    for (const [id, volume] of volumes) {
      if (!volume.boot || marked.has(id) || (removal === 'terminate' && volume.type !== 'sbs_volume'))
        continue;
      try {
        await markBootVolume(context, zone, read, { id, ...volume }, budget);
        marked.add(id);
      } catch (error) {
        // Gone already: nothing to leave behind (should its delete fail after all, it is marked then).
        if (!isProviderError(error, 'not_found')) throw error;
      }
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
        outcome = await stateChange(() =>
          context.client.action(zone, id, 'terminate', { secrets: budget.secrets }),
        );
        terminated = outcome === 'done';
        break;
      case 'stopped':
        await markLeftBehind(read, 'delete');
        // §6.1: DELETE works only when stopped, and leaves every volume behind.
        outcome = await stateChange(() => context.client.deleteServer(zone, id, { secrets: budget.secrets }));
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
  const remaining = [...volumes]
    .filter(([, volume]) => volume.boot && (!terminated || volume.type === 'sbs_volume'))
    .map(([id, volume]) => ({ id, type: volume.type, tags: volume.tags, marked: marked.has(id) }));
  await deleteVolumes(
    context,
    zone,
    server.id,
    remaining,
    { deadline: Math.max(budget.deadline, Date.now() + context.pollIntervalMs), secrets: budget.secrets },
    (volume) => markBootVolume(context, zone, server, volume, { secrets: budget.secrets }),
  );
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
}

/**
 * Delete every remaining volume of a deleted server; any left is named in one error (and reported). The error is
 * retryable exactly when calling `deleteVM` again will finish the job: every failure was transient and every volume
 * left carries the marks that let the next call find it (an unmarked one is marked now, if the API lets us).
 */
async function deleteVolumes(
  context: ScalewayContext,
  zone: string,
  serverId: string,
  remaining: readonly RemainingVolume[],
  budget: WaitBudget,
  markLate?: (volume: BootVolume) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(
    remaining.map((volume) => deleteVolume(context, zone, volume, budget)),
  );
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  if (failures.length === 0) return;
  const failed = remaining.filter((_, index) => results[index]?.status === 'rejected');
  // An unmarked volume is marked now, so that the next call finds it; a 404 then says it is gone after all (its
  // delete did go through, the answer was lost).
  const verdicts = await Promise.all(
    failed.map(async (volume): Promise<'findable' | 'unfindable' | 'gone'> => {
      if (volume.marked) return 'findable';
      if (markLate === undefined) return 'unfindable';
      try {
        await markLate(volume);
        return 'findable';
      } catch (error) {
        return isProviderError(error, 'not_found') ? 'gone' : 'unfindable';
      }
    }),
  );
  const left = failed.filter((_, index) => verdicts[index] !== 'gone');
  if (left.length === 0) return;
  const findable = verdicts.filter((verdict) => verdict !== 'gone').map((verdict) => verdict === 'findable');
  const first = failures[0];
  const retryable =
    findable.every(Boolean) && failures.every((failure) => isProviderError(failure) && failure.retryable);
  const error = new ProviderError({
    provider: SCALEWAY_PROVIDER,
    category: isProviderError(first) ? first.category : 'unknown',
    retryable,
    message: `Server ${zone}/${serverId} is deleted but ${left.length} volume(s) remain: ${left
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
