import { z } from 'zod';

/** A Hetzner Cloud API token: letters, digits, "-" and "_" (the console issues 64 of them). */
export const hetznerTokenSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "-" and "_"');

const uuid = (what: string) =>
  z
    .string()
    .trim()
    .regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      `must be a ${what} (a UUID)`,
    );

/** A Scaleway API secret key (a UUID; the access key `SCW…` is not needed). */
export const scalewaySecretKeySchema = uuid('Scaleway secret key');
/** A Scaleway project id (a UUID). */
export const scalewayProjectIdSchema = uuid('Scaleway project id');

/** The credential a user stores for Hetzner. */
export const hetznerCredentialSchema = z.object({
  provider: z.literal('hetzner'),
  /** Hetzner Cloud project API token (read/write). */
  apiToken: hetznerTokenSchema,
});
/** The credential a user stores for Hetzner. */
export type HetznerCredential = z.infer<typeof hetznerCredentialSchema>;

/** The credential a user stores for Scaleway: a secret key and the project VMs are created in. */
export const scalewayCredentialSchema = z.object({
  provider: z.literal('scaleway'),
  secretKey: scalewaySecretKeySchema,
  projectId: scalewayProjectIdSchema,
});
/** The credential a user stores for Scaleway. */
export type ScalewayCredential = z.infer<typeof scalewayCredentialSchema>;

/** Any stored credential of a cloud this package drives, discriminated by `provider`. */
export const providerCredentialSchema = z.discriminatedUnion('provider', [
  hetznerCredentialSchema,
  scalewayCredentialSchema,
]);
/** Any stored credential of a cloud this package drives. */
export type ProviderCredential = z.infer<typeof providerCredentialSchema>;
