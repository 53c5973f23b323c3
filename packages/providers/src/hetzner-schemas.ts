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

/** `meta.pagination` of every list. */
const listMetaSchema = z
  .object({
    pagination: z
      .object({
        last_page: z.number().int().nullish(),
        next_page: z.number().int().nullish(),
        total_entries: z.number().int().nullish(),
      })
      .nullish(),
  })
  .nullish();

export const hetznerServerListSchema = z.object({
  servers: z.array(hetznerServerSchema),
  meta: listMetaSchema,
});

// docs/hetzner-api.md "Volume object": attachment is `server` (an id or null), never a status.
export const hetznerVolumeSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: z.string(),
  location: z.object({ name: z.string() }),
  size: z.number().int(),
  server: z.number().int().nullish(),
  linux_device: z.string().nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
});
export type HetznerVolume = z.infer<typeof hetznerVolumeSchema>;

/** `GET /volumes/{id}`, and the part of `POST /volumes`' answer that is read. */
export const hetznerVolumeResponseSchema = z.object({ volume: hetznerVolumeSchema });

export const hetznerVolumeListSchema = z.object({
  volumes: z.array(hetznerVolumeSchema),
  meta: listMetaSchema,
});

// docs/hetzner-api.md "Action objects and polling".
export const hetznerActionSchema = z.object({
  id: z.number().int(),
  command: z.string().nullish(),
  status: z.string(),
  error: z.object({ code: z.string(), message: z.string().nullish() }).nullish(),
});
export type HetznerAction = z.infer<typeof hetznerActionSchema>;

/** A volume action's answer (`POST /volumes/{id}/actions/…`) and `GET /actions/{id}`. */
export const hetznerActionResponseSchema = z.object({ action: hetznerActionSchema });

/** Lenient: an unreadable error body falls back to the HTTP status. */
export const hetznerErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string().nullish() }),
});
