import { throwIfProviderRequestAborted } from './abort.js';
import { createOnce, removeAll } from './create-once.js';
import { isProviderError } from './errors.js';
import { actOnScalewayServer } from './scaleway-actions.js';
import { SCALEWAY_SIZES } from './scaleway-catalog.js';
import type { CallOptions } from './scaleway-client.js';
import type { ScalewayContext, ScalewayVMInput } from './scaleway-config.js';
import type { ScalewayImages } from './scaleway-images.js';
import { listTaggedScalewayServers } from './scaleway-listing.js';
import { labelsToTags, mapScalewayServer } from './scaleway-mappers.js';
import type { ScalewayServer } from './scaleway-schemas.js';
import { destroyScalewayServer } from './scaleway-teardown.js';
import type { ProviderRequestContext, VMInstance } from './types.js';

/** How long a create whose answer was lost keeps looking for its server before retrying, at most. */
const MAX_LOOKUP_GRACE_MS = 5_000;
/**
 * Marks each create so that a create whose answer was lost can be found again. It has no `=`, so it is never read
 * back as a label.
 */
const CREATION_TAG_PREFIX = 'sam-creation:';
/** §9: the key cloud-init reads. */
const CLOUD_INIT_KEY = 'cloud-init';

/**
 * Three steps (docs/scaleway-api.md §4.2): `POST /servers` (stopped) → cloud-init as text/plain → `poweron`, in a
 * zone already checked to offer the size. Resolves when poweron is accepted, with status `starting` and no IP yet.
 * Anything failing after the POST, or an abort, deletes the server and its volumes before rejecting.
 */
export async function createScalewayServer(
  context: ScalewayContext,
  images: ScalewayImages,
  zone: string,
  valid: ScalewayVMInput,
  request: ProviderRequestContext,
): Promise<VMInstance> {
  const { signal } = request;
  const commercialType = SCALEWAY_SIZES[valid.size].type;
  const image = await images.resolve(zone, valid.image ?? context.image, commercialType, signal);
  const creationTag = `${CREATION_TAG_PREFIX}${crypto.randomUUID()}`;
  const body = {
    name: valid.name,
    commercial_type: commercialType,
    image,
    project: context.projectId,
    dynamic_ip_required: true,
    tags: [...labelsToTags(valid.labels ?? {}), creationTag],
  };
  // The user data holds secrets: keep it out of every error of this create, whichever request fails.
  const call: CallOptions = { signal, secrets: [valid.userData] };
  let server: ScalewayServer;
  try {
    server = await postServer(context, zone, body, creationTag, call);
  } catch (error) {
    // §4.1: an image the zone no longer has (a rotated Marketplace image) must not stay cached.
    if (isProviderError(error, 'not_found'))
      images.forget(zone, valid.image ?? context.image, commercialType);
    throw error;
  }
  try {
    throwIfProviderRequestAborted(request);
    // §9: cloud-init must be in place before the first boot.
    await context.client.setUserData(zone, server.id, CLOUD_INIT_KEY, valid.userData, call);
    await actOnScalewayServer(context, zone, server.id, 'poweron', call);
  } catch (error) {
    await discardCreated(context, zone, server, error, call.secrets);
    throw error;
  }
  return { ...mapScalewayServer(server, zone), status: 'starting', statusDetail: 'starting', ip: '' };
}

/** POST the server so that it exists once or not at all (see `createOnce`); the creation tag finds it again. */
function postServer(
  context: ScalewayContext,
  zone: string,
  body: Record<string, unknown>,
  creationTag: string,
  call: CallOptions,
) {
  const { secrets } = call;
  return createOnce<ScalewayServer>({
    post: () => context.client.createServer(zone, body, { secrets }),
    find: async () => (await listTaggedScalewayServers(context, zone, creationTag, secrets))[0],
    discard: (server, error) => discardCreated(context, zone, server, error, secrets),
    removeTwins: async (server) => {
      const twins = (await listTaggedScalewayServers(context, zone, creationTag, secrets)).filter(
        (twin) => twin.id !== server.id,
      );
      await removeAll(
        context.client.http,
        twins.map((twin) => ({
          resource: `server ${zone}/${twin.id}`,
          remove: () => destroyScalewayServer(context, zone, twin, { secrets }),
        })),
      );
    },
    lookupFailed: (error, lookupError) =>
      context.client.http.cleanupFailed(error, lookupError, `a server tagged ${creationTag} in ${zone}`),
    signal: call.signal,
    retry: context.retry,
    graceMs: Math.min(context.timeoutMs, MAX_LOOKUP_GRACE_MS),
    pollIntervalMs: context.pollIntervalMs,
  });
}

/**
 * Delete a server this call created, without the caller's (possibly aborted) signal. A failure joins `error`
 * (when it is a `ProviderError`) and is always reported through `onEvent`: it is never swallowed.
 */
async function discardCreated(
  context: ScalewayContext,
  zone: string,
  server: ScalewayServer,
  error: unknown,
  secrets: CallOptions['secrets'],
): Promise<void> {
  try {
    await destroyScalewayServer(context, zone, server, { secrets });
  } catch (cleanupError) {
    context.client.http.cleanupFailed(error, cleanupError, `server ${zone}/${server.id}`);
  }
}
