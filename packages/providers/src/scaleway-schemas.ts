import { z } from 'zod';

// Only the fields the mappers read (scaleway-api.md §3); enum-like fields stay strings so a new state parses.

const serverIpSchema = z.object({
  id: z.string().nullish(),
  address: z.string().nullish(),
  family: z.string().nullish(),
  dynamic: z.boolean().nullish(),
});

export const scalewayServerSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  state_detail: z.string().nullish(),
  commercial_type: z.string(),
  creation_date: z.string().nullish(),
  project: z.string().nullish(),
  zone: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  public_ip: serverIpSchema.nullish(),
  public_ips: z.array(serverIpSchema).nullish(),
  volumes: z.record(z.string(), z.object({ id: z.string(), volume_type: z.string().nullish() })).nullish(),
});
export type ScalewayServer = z.infer<typeof scalewayServerSchema>;

export const scalewayServerResponseSchema = z.object({ server: scalewayServerSchema });
export const scalewayServerListSchema = z.object({ servers: z.array(scalewayServerSchema) });

/** Marketplace v2 local images (§10.1). */
export const scalewayLocalImageListSchema = z.object({
  local_images: z.array(
    z.object({
      id: z.string(),
      type: z.string().nullish(),
      compatible_commercial_types: z.array(z.string()).nullish(),
    }),
  ),
});

/** Lenient: an unreadable body falls back to the HTTP status (§7). */
export const scalewayErrorSchema = z.object({
  type: z.string().nullish(),
  message: z.string().nullish(),
  resource: z.string().nullish(),
  resource_id: z.string().nullish(),
  fields: z.unknown().optional(),
});
