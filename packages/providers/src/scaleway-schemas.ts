import { z } from 'zod';

/** Ids from responses end up in request paths: accept only UUIDs. */
const uuidSchema = z.guid();

// Only the fields the mappers read (docs/scaleway-api.md §3); enum-like fields stay strings so a new state parses.

const serverIpSchema = z.object({
  id: z.string().nullish(),
  address: z.string().nullish(),
  family: z.string().nullish(),
  dynamic: z.boolean().nullish(),
});

export const scalewayServerSchema = z.object({
  id: uuidSchema,
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
  volumes: z
    .record(
      z.string(),
      z.object({
        id: uuidSchema,
        volume_type: z.string().nullish(),
        boot: z.boolean().nullish(),
        /** §15.12: `l_ssd` entries carry the volume's tags; `sbs_volume` entries never do. */
        tags: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
  /** §5.2: what the state allows; §3: a protected server refuses delete and power changes. */
  allowed_actions: z.array(z.string()).nullish(),
  protected: z.boolean().nullish(),
});
export type ScalewayServer = z.infer<typeof scalewayServerSchema>;

export const scalewayServerResponseSchema = z.object({ server: scalewayServerSchema });
export const scalewayServerListSchema = z.object({ servers: z.array(scalewayServerSchema) });

/** A Block Storage volume (§15.2): bare, not wrapped, on create, get and update. */
export const scalewayBlockVolumeSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  type: z.string().nullish(),
  /** Bytes (10^9 per GB). */
  size: z.number().int().nonnegative(),
  project_id: z.string().nullish(),
  created_at: z.string().nullish(),
  status: z.string(),
  tags: z.array(z.string()).nullish(),
  zone: z.string().nullish(),
  references: z
    .array(
      z.object({
        product_resource_type: z.string().nullish(),
        product_resource_id: z.string().nullish(),
        status: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type ScalewayBlockVolume = z.infer<typeof scalewayBlockVolumeSchema>;

/** §15.1: the count is in the body, not in a header. */
export const scalewayBlockVolumeListSchema = z.object({
  volumes: z.array(scalewayBlockVolumeSchema),
  total_count: z.number().int().nonnegative().nullish(),
});

/** §9: the keys of a server's user data. */
export const scalewayUserDataKeysSchema = z.object({ user_data: z.array(z.string()) });

/** A local (`l_ssd`) volume of the Instance API (§6.1, §15.12): `server` is null once its server is gone. */
export const scalewayLocalVolumeSchema = z.object({
  id: uuidSchema,
  name: z.string().nullish(),
  volume_type: z.string().nullish(),
  size: z.number().int().nonnegative().nullish(),
  tags: z.array(z.string()).nullish(),
  server: z.object({ id: z.string() }).nullish(),
  project: z.string().nullish(),
});
export type ScalewayLocalVolume = z.infer<typeof scalewayLocalVolumeSchema>;
export const scalewayLocalVolumeListSchema = z.object({ volumes: z.array(scalewayLocalVolumeSchema) });
export const scalewayLocalVolumeResponseSchema = z.object({ volume: scalewayLocalVolumeSchema });

/** A flexible IP (§4.1, §6.1): `server` is null while detached. */
export const scalewayIpSchema = z.object({
  id: uuidSchema,
  address: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  server: z.object({ id: z.string() }).nullish(),
  project: z.string().nullish(),
});
export type ScalewayIp = z.infer<typeof scalewayIpSchema>;
export const scalewayIpListSchema = z.object({ ips: z.array(scalewayIpSchema) });

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

/** Lenient field by field: an unreadable part of the body is dropped, the rest still counts (§7). */
const lenientString = z.string().nullish().catch(undefined);
export const scalewayErrorSchema = z.object({
  type: lenientString,
  message: lenientString,
  resource: lenientString,
  resource_id: lenientString,
  fields: z.unknown().optional(),
  /** The JSON form of a 429 (§7), in seconds. */
  reset_seconds: z.number().nonnegative().nullish().catch(undefined),
});
