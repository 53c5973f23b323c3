import { z } from 'zod';

// Response schemas declare only what the mappers read (docs/hetzner-api.md, "Servers").

export const hetznerServerSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: z.string(),
  public_net: z.object({ ipv4: z.object({ ip: z.string() }).nullish() }).nullish(),
  server_type: z.object({ name: z.string() }),
  datacenter: z.object({ location: z.object({ name: z.string() }) }).nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
});
export type HetznerServer = z.infer<typeof hetznerServerSchema>;

export const hetznerServerResponseSchema = z.object({ server: hetznerServerSchema });

export const hetznerServerListSchema = z.object({
  servers: z.array(hetznerServerSchema),
  meta: z
    .object({
      pagination: z
        .object({
          last_page: z.number().int().nullish(),
          next_page: z.number().int().nullish(),
          total_entries: z.number().int().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** Lenient: an unreadable error body falls back to the HTTP status. */
export const hetznerErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string().nullish() }),
});
