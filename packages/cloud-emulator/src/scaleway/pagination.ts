import { invalidArguments } from './errors.js';

/** One page of a list request. */
export interface ScalewayPaging {
  page: number;
  pageSize: number;
}

/** How an API names and bounds its paging parameters. */
export interface ScalewayPagingStyle {
  /** `per_page` for Instance (§8.1), `page_size` for Marketplace, Account and Block. */
  sizeParameter: 'per_page' | 'page_size';
  defaultSize: number;
  maxSize: number;
}

/** Instance lists: 50 per page by default, at most 100 (docs/scaleway-api.md §8.1). */
export const INSTANCE_PAGING: ScalewayPagingStyle = {
  sizeParameter: 'per_page',
  defaultSize: 50,
  maxSize: 100,
};
/** Marketplace, Account and Block lists (`page_size`, total in the body). */
export const MODERN_PAGING: ScalewayPagingStyle = {
  sizeParameter: 'page_size',
  defaultSize: 50,
  maxSize: 100,
};

/**
 * Read `page` and the page size.
 * UNCONFIRMED (docs/scaleway-api.md §8.1): `page` < 1 and a size above the maximum are answered with 400
 * `invalid_arguments`, as the spec expects.
 */
export function readPaging(query: URLSearchParams, style: ScalewayPagingStyle): ScalewayPaging {
  const page = readInteger(query, 'page', 1);
  const pageSize = readInteger(query, style.sizeParameter, style.defaultSize);
  if (page < 1) {
    throw invalidArguments([
      { argument_name: 'page', reason: 'constraint', help_message: 'must be at least 1' },
    ]);
  }
  if (pageSize < 1 || pageSize > style.maxSize) {
    throw invalidArguments([
      {
        argument_name: style.sizeParameter,
        reason: 'constraint',
        help_message: `must be between 1 and ${style.maxSize}`,
      },
    ]);
  }
  return { page, pageSize };
}

function readInteger(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  if (!/^-?\d+$/.test(text)) {
    throw invalidArguments([{ argument_name: name, reason: 'format', help_message: 'must be an integer' }]);
  }
  return Number.parseInt(text, 10);
}

/** The items of the requested page. */
export function pageOf<T>(items: readonly T[], paging: ScalewayPaging): T[] {
  const start = (paging.page - 1) * paging.pageSize;
  return items.slice(start, start + paging.pageSize);
}

/**
 * The Instance `Link` header (docs/scaleway-api.md §8.1): paths relative to the zone, `page` and `per_page` first, then
 * the request's other parameters as sent, or a bare `&` when there are none; `first`/`previous` after page 1,
 * `next` before the last page, `last` always (`page=0` for an empty result).
 */
export function instanceLinkHeader(
  path: string,
  rawSearch: string,
  paging: ScalewayPaging,
  total: number,
): string {
  const filters = rawSearch
    .replace(/^\?/, '')
    .split('&')
    .filter((part) => {
      if (part === '') return false;
      const name = safeDecode(part.split('=')[0] ?? '');
      return name !== 'page' && name !== 'per_page';
    })
    .join('&');
  const lastPage = Math.ceil(total / paging.pageSize);
  const link = (page: number, relation: string) =>
    `<${path}?page=${page}&per_page=${paging.pageSize}&${filters}>; rel="${relation}"`;
  const links: string[] = [];
  if (paging.page > 1) links.push(link(1, 'first'), link(paging.page - 1, 'previous'));
  if (paging.page < lastPage) links.push(link(paging.page + 1, 'next'));
  links.push(link(lastPage, 'last'));
  return links.join(',');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Headers of a paginated Instance list: `X-Total-Count` and `Link` (docs/scaleway-api.md §8.1, §11). */
export function instanceListHeaders(
  path: string,
  rawSearch: string,
  paging: ScalewayPaging,
  total: number,
): Record<string, string> {
  return { 'X-Total-Count': String(total), Link: instanceLinkHeader(path, rawSearch, paging, total) };
}
