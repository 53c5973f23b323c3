import { throwIfProviderRequestAborted } from './abort.js';
import { isProviderError, ProviderError } from './errors.js';
import type { CallOptions, ScalewayAction } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext } from './scaleway-config.js';
import { requireScalewayServerId } from './scaleway-ids.js';
import { findScalewayServer, readScalewayServer } from './scaleway-listing.js';

/**
 * One action. A refusal because of the state is re-read: if the server is already where the action leads (or on
 * its way), the action has nothing to do and resolves.
 */
export async function actOnScalewayServer(
  context: ScalewayContext,
  zone: string,
  id: string,
  action: ScalewayAction,
  call: CallOptions,
): Promise<void> {
  try {
    await context.client.action(zone, id, action, call);
  } catch (error) {
    if (!isProviderError(error, 'conflict')) throw error;
    const server = await readScalewayServer(context, zone, id, call);
    const arrived = action === 'poweron' ? ['running', 'starting'] : ['stopped', 'stopping'];
    if (server !== undefined && arrived.includes(server.state)) return;
    throw error;
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
