import { throwIfProviderRequestAborted } from './abort.js';
import { createOnce } from './create-once.js';
import { isProviderError } from './errors.js';
import { HETZNER_SIZES } from './hetzner-catalog.js';
import { type HetznerContext, type HetznerVMInput, hetznerServerIdSchema } from './hetzner-config.js';
import { createWithCapacity } from './hetzner-create.js';
import { mapHetznerServer } from './hetzner-mappers.js';
import { hetznerServerListSchema, hetznerServerResponseSchema } from './hetzner-schemas.js';
import type { ProviderRequestContext, VMInstance } from './types.js';

/** What the attempts of one create have seen so far. */
interface CreateAttempts {
  posts: number;
  /** An answer was lost: a server may exist that no attempt has seen. */
  lost: boolean;
  /** A failed lookup for it is already reported on the error. */
  lookupReported: boolean;
}

/**
 * One `POST /servers` that starts the server, in `valid.location` (one of `offering`, the locations offering the
 * size); a lost answer is recovered by the server's (unique) name. Missing capacity and failed placements are
 * retried and fall back to the other locations of `offering` as {@link createWithCapacity} describes.
 */
export async function createHetznerServer(
  context: HetznerContext,
  valid: HetznerVMInput,
  offering: readonly string[],
  request: ProviderRequestContext,
): Promise<VMInstance> {
  const serverType = HETZNER_SIZES[valid.size].type;
  // Shared by every attempt of this create (capacity retries, placement fallbacks): once any POST was sent, a
  // name conflict means our own server, and a lost answer means one may exist that no attempt has seen yet.
  const attempts: CreateAttempts = { posts: 0, lost: false, lookupReported: false };
  try {
    return await createWithCapacity({
      location: valid.location,
      fallbacks: offering.filter((id) => id !== valid.location),
      serverType,
      createIn: (where) => createIn(context, where, serverType, valid, request, attempts),
      policy: context.capacity,
      emit: context.emit,
      context: request,
    });
  } catch (error) {
    if (!attempts.lost) throw error;
    return adoptLate(context, valid.name, valid.labels ?? {}, error, request, attempts);
  }
}

/**
 * docs/hetzner-api.md "Servers": DELETE works in any state and takes the primary IPs with the server. An id this
 * provider could never have issued names no VM: it resolves without a request (SAM contract §1).
 */
export async function deleteHetznerServer(
  context: HetznerContext,
  id: string,
  request: ProviderRequestContext,
): Promise<void> {
  throwIfProviderRequestAborted(request);
  const parsed = hetznerServerIdSchema.safeParse(id);
  if (!parsed.success) return;
  try {
    await context.client.request({
      method: 'DELETE',
      path: `/servers/${parsed.data}`,
      signal: request.signal,
    });
  } catch (error) {
    if (isProviderError(error, 'not_found')) return;
    throw error;
  }
}

/**
 * A create that failed after an answer was lost may still have made its server (the POST committed late, after
 * the lookups gave up). The name is unique, so the server is ours: adopt it, or remove it if the caller gave up.
 */
async function adoptLate(
  context: HetznerContext,
  name: string,
  labels: Record<string, string>,
  error: unknown,
  request: ProviderRequestContext,
  attempts: CreateAttempts,
): Promise<VMInstance> {
  let late: VMInstance | undefined;
  try {
    late = await findByName(context, name, labels);
  } catch (lookupError) {
    // One report per create: a failed lookup of the same server may already be on the error.
    if (!attempts.lookupReported) context.client.cleanupFailed(error, lookupError, `a server named ${name}`);
    throw error;
  }
  if (late === undefined) throw error;
  if (request.signal?.aborted !== true) return late;
  await discardServer(context, late.id, error);
  throw error;
}

/** Delete a server this create made; a failure joins `error` and is reported, never swallowed. */
async function discardServer(context: HetznerContext, id: string, error: unknown): Promise<void> {
  try {
    await deleteHetznerServer(context, id, {});
  } catch (cleanupError) {
    context.client.cleanupFailed(error, cleanupError, `server ${id}`);
  }
}

async function createIn(
  context: HetznerContext,
  location: string,
  serverType: string,
  valid: HetznerVMInput,
  request: ProviderRequestContext,
  attempts: CreateAttempts,
): Promise<VMInstance> {
  const labels = valid.labels ?? {};
  // Hetzner names are unique per project, so the name finds a server whose create answer was lost, and a retried
  // POST meeting a late first one is refused as a name conflict: that conflict means the server is ours.
  const created = await createOnce<VMInstance>({
    post: async () => {
      attempts.posts++;
      try {
        const { data } = await context.client.request({
          method: 'POST',
          path: '/servers',
          json: {
            name: valid.name,
            server_type: serverType,
            image: valid.image ?? context.image,
            location,
            user_data: valid.userData,
            labels,
            start_after_create: true,
            public_net: { enable_ipv4: true, enable_ipv6: true },
          },
          secrets: [valid.userData],
          schema: hetznerServerResponseSchema,
        });
        return mapHetznerServer(data.server);
      } catch (error) {
        if (isProviderError(error, 'network', 'timeout', 'unavailable', 'invalid_response'))
          attempts.lost = true;
        if (attempts.posts > 1 && isProviderError(error, 'conflict') && error.code === 'uniqueness_error') {
          const existing = await findByName(context, valid.name, labels);
          if (existing !== undefined) return existing;
        }
        throw error;
      }
    },
    find: () => findByName(context, valid.name, labels),
    discard: (vm, error) => discardServer(context, vm.id, error),
    lookupFailed: (error, lookupError) => {
      attempts.lookupReported = true;
      context.client.cleanupFailed(error, lookupError, `a server named ${valid.name}`);
    },
    signal: request.signal,
    retry: context.retry,
    graceMs: Math.min(context.timeoutMs, 5_000),
    pollIntervalMs: Math.max(Math.round(Math.min(context.timeoutMs, 5_000) / 8), 10),
  });
  return created.location === '' ? { ...created, location } : created;
}

/** The server named `name` with exactly `labels`, or `undefined`. */
async function findByName(
  context: HetznerContext,
  name: string,
  labels: Record<string, string>,
): Promise<VMInstance | undefined> {
  const { data } = await context.client.request({
    method: 'GET',
    path: '/servers',
    query: { name },
    schema: hetznerServerListSchema,
  });
  return data.servers
    .map(mapHetznerServer)
    .find(
      (vm) =>
        vm.name === name &&
        Object.keys(vm.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([key, value]) => vm.labels[key] === value),
    );
}
