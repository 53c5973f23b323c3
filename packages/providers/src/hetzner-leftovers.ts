import { z } from 'zod';
import { invalidInput } from './errors.js';
import { HETZNER_PROVIDER, type HetznerContext } from './hetzner-config.js';
import { labelsFromPairs } from './labels.js';
import type { Leftover } from './leftovers.js';

/**
 * The leftovers of Hetzner (docs/hetzner-api.md "IPs"). A VM of this library leaves nothing behind: its disk is part
 * of the server, and the primary IPs the create makes (`public_net`, no ids given) are `auto_delete` and go with it
 * (UNCONFIRMED: the API reference describes the flag, not its value on auto-created IPs; clients and the console
 * show them deleted with their server). What can stay billed is an IP that outlived the server it was assigned to:
 * an unassigned Primary IP or Floating IP. Only those carrying the mark {@link OWNED_LABEL} (which a control plane
 * puts on the IPs it makes for its VMs) and the given labels are leftovers: an IP without the mark, however
 * labelled, may be kept on purpose (a reserved failover IP) and is never touched. Never a volume: Hetzner volumes are
 * all data volumes.
 */
export const OWNED_LABEL = 'sam-owned';
const PAGE_SIZE = 50;

const ipSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().nullish(),
  ip: z.string().nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
  /** Primary IPs. */
  assignee_id: z.number().int().nullish(),
  location: z.object({ name: z.string() }).nullish(),
  /** Floating IPs. */
  server: z.number().int().nullish(),
  home_location: z.object({ name: z.string() }).nullish(),
});
type HetznerIp = z.infer<typeof ipSchema>;
const metaSchema = z
  .object({ pagination: z.object({ next_page: z.number().int().nullish() }).nullish() })
  .nullish();
const primaryListSchema = z.object({ primary_ips: z.array(ipSchema), meta: metaSchema });
const floatingListSchema = z.object({ floating_ips: z.array(ipSchema), meta: metaSchema });

interface IpKind {
  type: 'primary_ip' | 'floating_ip';
  path: '/primary_ips' | '/floating_ips';
}

const KINDS: readonly IpKind[] = [
  { type: 'primary_ip', path: '/primary_ips' },
  { type: 'floating_ip', path: '/floating_ips' },
];

/** One page of IPs of `kind`, and whether another follows. */
async function ipPage(
  context: HetznerContext,
  kind: IpKind,
  query: Record<string, string | number>,
  signal: AbortSignal | undefined,
): Promise<{ ips: HetznerIp[]; more: boolean }> {
  const request = { method: 'GET', path: kind.path, query, signal } as const;
  const { data } =
    kind.type === 'primary_ip'
      ? await context.client.request({ ...request, schema: primaryListSchema })
      : await context.client.request({ ...request, schema: floatingListSchema });
  const ips = 'primary_ips' in data ? data.primary_ips : data.floating_ips;
  return { ips, more: Boolean(data.meta?.pagination?.next_page) };
}

/** Unassigned Primary and Floating IPs carrying `labels` (or the mark): two lists, each paged. */
export async function findHetznerLeftovers(
  context: HetznerContext,
  labels: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
): Promise<Leftover[]> {
  const entries = Object.entries(labels);
  const selector = [OWNED_LABEL, ...entries.map(([key, value]) => `${key}=${value}`)].join(',');
  const perKind = await Promise.all(
    KINDS.map(async (kind) => {
      const found: HetznerIp[] = [];
      for (let page = 1; page <= context.maxPages; page++) {
        const { ips, more } = await ipPage(
          context,
          kind,
          { label_selector: selector, page, per_page: PAGE_SIZE },
          signal,
        );
        found.push(...ips);
        if (ips.length < PAGE_SIZE || !more) break;
      }
      return found
        .filter((ip) => (kind.type === 'primary_ip' ? ip.assignee_id : ip.server) == null)
        .filter((ip) => {
          const own = ip.labels ?? {};
          return Object.hasOwn(own, OWNED_LABEL) && entries.every(([key, value]) => own[key] === value);
        })
        .map(
          (ip): Leftover => ({
            kind: 'ip',
            type: kind.type,
            id: String(ip.id),
            location: ip.location?.name ?? ip.home_location?.name ?? '',
            name: ip.name ?? '',
            description: `unassigned ${kind.type === 'primary_ip' ? 'Primary' : 'Floating'} IP${ip.ip ? ` ${ip.ip}` : ''}`,
            labels: labelsFromPairs(Object.entries(ip.labels ?? {})),
          }),
        );
    }),
  );
  return perKind.flat();
}

/** `DELETE /primary_ips/{id}` or `/floating_ips/{id}`: refused by the API if it was assigned again meanwhile. */
export async function deleteHetznerLeftover(
  context: HetznerContext,
  leftover: Leftover,
  signal: AbortSignal | undefined,
): Promise<void> {
  const kind = KINDS.find((candidate) => candidate.type === leftover.type);
  if (kind === undefined || !/^\d+$/.test(leftover.id)) {
    throw invalidInput(
      HETZNER_PROVIDER,
      'leftover',
      `is not a leftover of this provider (${leftover.type} ${leftover.id})`,
    );
  }
  await context.client.request({ method: 'DELETE', path: `${kind.path}/${leftover.id}`, signal });
}
