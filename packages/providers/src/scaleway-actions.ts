import { throwIfProviderRequestAborted } from './abort.js';
import { isProviderError, ProviderError } from './errors.js';
import type { CallOptions, ScalewayAction } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext } from './scaleway-config.js';
import { requireScalewayServerId } from './scaleway-ids.js';
import { findScalewayServer, readScalewayServer } from './scaleway-listing.js';
import { pauseWithin } from './waits.js';

/** How many times an action is sent again after the server was seen moving the other way. */
const MAX_ACTION_ATTEMPTS = 3;
const MAX_POLL_INTERVAL_MS = 5_000;

/**
 * One action. A refusal because of the state is re-read: if the server is already where the action leads (or on
 * its way), the action has nothing to do and resolves; if it is moving the other way (a power-off still running
 * when a power-on is asked, §5.3), the move is waited out within `waitTimeoutMs`, and the action is sent again, as it
 * is when the server is back in the state the action starts from (the refusal met a state that has passed).
 */
export async function actOnScalewayServer(
  context: ScalewayContext,
  zone: string,
  id: string,
  action: ScalewayAction,
  call: CallOptions,
): Promise<void> {
  const arrived = action === 'poweron' ? ['running', 'starting'] : ['stopped', 'stopping'];
  const opposite = action === 'poweron' ? 'stopping' : 'starting';
  const from = action === 'poweron' ? ['stopped', 'stopped in place'] : ['running', 'stopped in place'];
  const deadline = Date.now() + context.waitTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await context.client.action(zone, id, action, call);
      return;
    } catch (error) {
      if (!isProviderError(error, 'conflict')) throw error;
      let server = await readScalewayServer(context, zone, id, call);
      if (server !== undefined && arrived.includes(server.state)) return;
      // Refused in a state that has passed by now (the server was still moving when the action arrived): again.
      const again = server !== undefined && (server.state === opposite || from.includes(server.state));
      if (!again || action === 'terminate' || attempt >= MAX_ACTION_ATTEMPTS) throw error;
      for (let delay = context.pollIntervalMs; server?.state === opposite; ) {
        await pauseWithin(
          SCALEWAY_PROVIDER,
          { ...call, deadline },
          delay,
          `server ${zone}/${id} to settle`,
          context.waitTimeoutMs,
        );
        delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
        server = await readScalewayServer(context, zone, id, call);
      }
      if (server === undefined) throw error;
      if (arrived.includes(server.state)) return;
    }
  }
}

/** Power a server on or off by its id; a bare UUID is found first (a `not_found` when it is nowhere). */
export async function powerScalewayServer(
  context: ScalewayContext,
  id: string,
  action: 'poweron' | 'poweroff',
  signal: AbortSignal | undefined,
): Promise<void> {
  throwIfProviderRequestAborted({ signal });
  const ref = requireScalewayServerId(id);
  let zone = ref.zone;
  if (zone === '') {
    const found = await findScalewayServer(context, ref, signal);
    if (found === undefined) {
      throw new ProviderError({
        provider: SCALEWAY_PROVIDER,
        category: 'not_found',
        message: `server ${ref.uuid} not found`,
      });
    }
    zone = found.zone;
  }
  await actOnScalewayServer(context, zone, ref.uuid, action, { signal });
}
