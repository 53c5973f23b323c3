import { throwIfProviderRequestAborted } from './abort.js';
import { mapConcurrent } from './concurrency.js';
import { isProviderError, ProviderError, withMessage } from './errors.js';
import { matchesLabels } from './labels.js';
import type { CallOptions } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext } from './scaleway-config.js';
import type { ScalewayServerRef } from './scaleway-ids.js';
import { labelsToTags, mapScalewayServer } from './scaleway-mappers.js';
import type { ScalewayServer } from './scaleway-schemas.js';
import type { VMInstance } from './types.js';

/** §8.1: per_page is at most 100. */
const PAGE_SIZE = 100;
/** 100 000 servers in one zone; an `X-Total-Count` beyond it is not believed. */
const MAX_PAGES = 1_000;
const ZONE_CONCURRENCY = 10;
const PAGE_CONCURRENCY = 8;

/** A server and the zone it was found in. */
export interface LocatedScalewayServer {
  zone: string;
  server: ScalewayServer;
}

/** A server without a project (an older record) or of this one. */
function inProject(context: ScalewayContext, server: ScalewayServer): boolean {
  return server.project === undefined || server.project === null || server.project === context.projectId;
}

/** A server of this project in `zone`, or `undefined`. */
export async function readScalewayServer(
  context: ScalewayContext,
  zone: string,
  id: string,
  call: CallOptions,
): Promise<ScalewayServer | undefined> {
  try {
    const server = await context.client.getServer(zone, id, call);
    return inProject(context, server) ? server : undefined;
  } catch (error) {
    if (isProviderError(error, 'not_found')) return undefined;
    throw error;
  }
}

/** By zonal id: one request. By bare UUID: the default zone, then every other configured zone at once. */
export async function findScalewayServer(
  context: ScalewayContext,
  ref: ScalewayServerRef,
  signal: AbortSignal | undefined,
): Promise<LocatedScalewayServer | undefined> {
  if (ref.zone !== '') {
    const server = await readScalewayServer(context, ref.zone, ref.uuid, { signal });
    return server === undefined ? undefined : { zone: ref.zone, server };
  }
  const first = await readScalewayServer(context, context.zone, ref.uuid, { signal });
  if (first !== undefined) return { zone: context.zone, server: first };
  const others = context.zones.filter((zone) => zone !== context.zone);
  // Every zone is asked; a failing zone matters only if the server was found nowhere else.
  const results = await Promise.allSettled(
    others.map((zone) => readScalewayServer(context, zone, ref.uuid, { signal })),
  );
  const index = results.findIndex((result) => result.status === 'fulfilled' && result.value !== undefined);
  const hit = results[index];
  if (hit?.status === 'fulfilled' && hit.value !== undefined)
    return { zone: others[index] as string, server: hit.value };
  throwIfProviderRequestAborted({ signal });
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return undefined;
}

/**
 * Every zone at once (bounded), every page (page 1, then the rest at once from `X-Total-Count`), filtered by
 * project and tags on the server and by exact labels here. A failing zone fails the whole call, naming the zone.
 */
export async function listScalewayVMs(
  context: ScalewayContext,
  filter: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<VMInstance[]> {
  // A value with a comma cannot travel in the comma-joined tags filter (§8.1); it is matched here only.
  const tags = labelsToTags(
    Object.fromEntries(Object.entries(filter).filter(([, value]) => !value.includes(','))),
  );
  const perZone = await mapConcurrent(context.zones, ZONE_CONCURRENCY, async (zone) => {
    try {
      return await listZone(context, zone, tags.length === 0 ? undefined : tags.join(','), signal);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw withMessage(error, `Listing servers in ${zone} failed: ${error.message}`);
    }
  });
  return perZone.flat().filter((vm) => matchesLabels(vm.labels, filter));
}

/** The servers of this project in `zone` carrying `tag`, from the first page of the tag-filtered list. */
export async function listTaggedScalewayServers(
  context: ScalewayContext,
  zone: string,
  tag: string,
  secrets: CallOptions['secrets'],
): Promise<ScalewayServer[]> {
  const { servers } = await context.client.listServers(
    zone,
    { project: context.projectId, tags: tag, page: 1, perPage: PAGE_SIZE },
    { secrets },
  );
  return servers.filter((server) => server.tags?.includes(tag));
}

async function listZone(
  context: ScalewayContext,
  zone: string,
  tags: string | undefined,
  signal: AbortSignal | undefined,
): Promise<VMInstance[]> {
  return (await listScalewayZoneServers(context, zone, tags, signal)).map((server) =>
    mapScalewayServer(server, zone),
  );
}

/** Every server of this project in `zone` carrying every tag of `tags` (comma-joined), each once, as the API has it. */
export async function listScalewayZoneServers(
  context: ScalewayContext,
  zone: string,
  tags: string | undefined,
  signal: AbortSignal | undefined,
): Promise<ScalewayServer[]> {
  const page = (number: number) =>
    context.client.listServers(
      zone,
      { project: context.projectId, tags, page: number, perPage: PAGE_SIZE },
      { signal },
    );
  const first = await page(1);
  const servers = [...first.servers];
  let last = first.servers;
  let next = 2;
  if (first.servers.length === PAGE_SIZE && first.total !== undefined) {
    const pages = Math.ceil(first.total / PAGE_SIZE);
    if (pages > MAX_PAGES) {
      throw new ProviderError({
        provider: SCALEWAY_PROVIDER,
        category: 'invalid_response',
        message: `Scaleway reported ${first.total} servers in ${zone}, more than this library will page through`,
      });
    }
    const rest = await mapConcurrent(
      Array.from({ length: Math.max(pages - 1, 0) }, (_, index) => index + 2),
      PAGE_CONCURRENCY,
      async (number) => (await page(number)).servers,
    );
    servers.push(...rest.flat());
    last = rest.at(-1) ?? first.servers;
    next = Math.max(pages, 1) + 1;
  }
  // Walk on, one page at a time, while the last page was full and X-Total-Count is absent or proved low (more
  // servers arrived than it announced): the SDKs' loop (§8.1). A page that brings nothing new ends the walk (an
  // API ignoring `page` would otherwise be walked to the page limit). A short first page is the whole list.
  const total = first.total;
  const seen = new Set(servers.map((server) => server.id));
  while (last.length === PAGE_SIZE && (total === undefined || servers.length > total) && next <= MAX_PAGES) {
    last = (await page(next++)).servers;
    const fresh = last.filter((server) => !seen.has(server.id));
    if (fresh.length === 0) break;
    for (const server of fresh) seen.add(server.id);
    servers.push(...fresh);
  }
  const byId = new Map<string, ScalewayServer>();
  for (const server of servers) {
    if (inProject(context, server)) byId.set(server.id, server);
  }
  return [...byId.values()];
}
