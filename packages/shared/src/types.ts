import { z } from 'zod';

/** The size of a VM, in SAM's own terms. Each provider maps it to one of its server types. */
export const vmSizeSchema = z.enum(['small', 'medium', 'large']);
/** The size of a VM, in SAM's own terms. Each provider maps it to one of its server types. */
export type VMSize = z.infer<typeof vmSizeSchema>;
/** Every {@link VMSize}, smallest first. */
export const VM_SIZES: readonly VMSize[] = vmSizeSchema.options;

/** The clouds a SAM user can connect. */
export const credentialProviderSchema = z.enum(['hetzner', 'scaleway']);
/** The clouds a SAM user can connect. */
export type CredentialProvider = z.infer<typeof credentialProviderSchema>;

/** A Hetzner Cloud API token: 64 characters from the token alphabet, as the console issues them. */
export const hetznerTokenSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "-" and "_"');

/** The credential a user stores for Hetzner. */
export const hetznerCredentialSchema = z.object({
  provider: z.literal('hetzner'),
  /** Hetzner Cloud project API token (read/write). */
  token: hetznerTokenSchema,
});
/** The credential a user stores for Hetzner. */
export type HetznerCredential = z.infer<typeof hetznerCredentialSchema>;

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

/** The credential a user stores for Scaleway: a secret key and the project VMs are created in. */
export const scalewayCredentialSchema = z.object({
  provider: z.literal('scaleway'),
  secretKey: scalewaySecretKeySchema,
  projectId: scalewayProjectIdSchema,
});
/** The credential a user stores for Scaleway. */
export type ScalewayCredential = z.infer<typeof scalewayCredentialSchema>;

/** Any stored provider credential, discriminated by `provider`. */
export const providerCredentialSchema = z.discriminatedUnion('provider', [
  hetznerCredentialSchema,
  scalewayCredentialSchema,
]);
/** Any stored provider credential, discriminated by `provider`. */
export type ProviderCredential = z.infer<typeof providerCredentialSchema>;

/** A place a VM can run, as a provider names it. */
export interface LocationInfo {
  /** The provider's identifier, e.g. `fsn1` or `fr-par-1`. */
  readonly id: string;
  /** Human name of the city or data centre. */
  readonly name: string;
  /** ISO 3166-1 alpha-2 country code. */
  readonly country: string;
}
