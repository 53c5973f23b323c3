import { mapConcurrent } from './concurrency.js';
import { ProviderError } from './errors.js';
import { HETZNER_PROVIDER, type HetznerContext } from './hetzner-config.js';
import { mapHetznerServer } from './hetzner-mappers.js';
import { hetznerServerListSchema } from './hetzner-schemas.js';
import { matchesLabels } from './labels.js';
import type { VMInstance } from './types.js';

const PAGE_SIZE = 50;
const PAGE_CONCURRENCY = 5;

/**
 * Every page (page 1, then the rest at once from `last_page`, at most `maxListPages`), filtered by the label
 * selector on the server and by exact labels here.
 */
export async function listHetznerVMs(
  context: HetznerContext,
  filter: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<VMInstance[]> {
  const maxPages = context.maxPages;
  const selector = Object.entries(filter)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const page = (number: number) =>
    context.client.request({
      method: 'GET',
      path: '/servers',
      query: { label_selector: selector === '' ? undefined : selector, page: number, per_page: PAGE_SIZE },
      schema: hetznerServerListSchema,
      signal,
    });
  const first = await page(1);
  const lastPage = first.data.meta?.pagination?.last_page ?? 1;
  if (lastPage > maxPages) {
    throw new ProviderError({
      provider: HETZNER_PROVIDER,
      category: 'invalid_response',
      message: `Hetzner reported ${lastPage} pages of servers, more than this library will page through`,
    });
  }
  const rest = await mapConcurrent(
    Array.from({ length: Math.max(lastPage - 1, 0) }, (_, index) => index + 2),
    PAGE_CONCURRENCY,
    async (number) => (await page(number)).data,
  );
  const pages = [first.data, ...rest];
  // A full last page that names a next one means last_page was low: walk on one page at a time.
  for (let last = pages.at(-1), number = pages.length + 1; ; number++) {
    if (last === undefined || last.servers.length < PAGE_SIZE || !last.meta?.pagination?.next_page) break;
    if (number > maxPages) break;
    last = (await page(number)).data;
    pages.push(last);
  }
  const byId = new Map<string, VMInstance>();
  for (const server of pages.flatMap((listed) => listed.servers)) {
    const vm = mapHetznerServer(server);
    if (matchesLabels(vm.labels, filter)) byId.set(vm.id, vm);
  }
  return [...byId.values()];
}
