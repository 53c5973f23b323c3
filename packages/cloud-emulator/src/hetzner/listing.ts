/** Lists of the Hetzner emulator: pagination, `sort`, repeatable filters and ids (docs/hetzner-api.md). */
import { HETZNER_VOLUME_ERRORS, hetznerError } from './errors.js';

type Json = Record<string, unknown>;

/** `per_page` at most 50, default 25; `page` from 1 (docs/hetzner-api.md "Servers"). */
export const MAX_PER_PAGE = 50;
const DEFAULT_PER_PAGE = 25;

/** `{ [key]: items of the page, meta: { pagination } }` for `items` and the request's `page` / `per_page`. */
export function paginate<T>(key: string, items: readonly T[], url: URL, render: (item: T) => Json): Json {
  const perPage = Math.min(
    Math.max(Math.trunc(Number(url.searchParams.get('per_page'))) || DEFAULT_PER_PAGE, 1),
    MAX_PER_PAGE,
  );
  const page = Math.max(Math.trunc(Number(url.searchParams.get('page'))) || 1, 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  return {
    [key]: items.slice((page - 1) * perPage, page * perPage).map(render),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? page - 1 : null,
        next_page: page < lastPage ? page + 1 : null,
        last_page: lastPage,
        total_entries: items.length,
      },
    },
  };
}

/**
 * `items` ordered by the repeatable `sort` parameter (`field` or `field:asc` / `field:desc`, earlier ones first), then
 * by id. An unknown field or direction is `invalid_input`.
 */
export function sortItems<T extends { readonly id: number }>(
  items: readonly T[],
  url: URL,
  fields: Readonly<Record<string, (item: T) => string | number | null>>,
): T[] {
  const keys = url.searchParams.getAll('sort').map((term) => {
    const [field = '', direction = 'asc', extra] = term.split(':');
    const read = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (read === undefined || (direction !== 'asc' && direction !== 'desc') || extra !== undefined) {
      throw hetznerError(HETZNER_VOLUME_ERRORS.invalidSort);
    }
    return { read, sign: direction === 'asc' ? 1 : -1 };
  });
  keys.push({ read: (item) => item.id, sign: 1 });
  return [...items].sort((a, b) => {
    for (const { read, sign } of keys) {
      const order = compare(read(a), read(b));
      if (order !== 0) return order * sign;
    }
    return 0;
  });
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** The values of a repeatable filter (`status=a&status=b`), each checked against `allowed`; empty when absent. */
export function enumFilter(url: URL, name: string, allowed: readonly string[]): string[] {
  const values = url.searchParams.getAll(name);
  for (const value of values) {
    if (!allowed.includes(value)) throw hetznerError(HETZNER_VOLUME_ERRORS.invalidStatus);
  }
  return values;
}

/** A path id: decimal digits only, or `undefined` (which the routes answer as not found). */
export function pathId(value: string): number | undefined {
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
