/** The size of a VM, in SAM's own terms. Each provider maps it to one of its server types. */
export type VMSize = 'small' | 'medium' | 'large';

/** Every {@link VMSize}, smallest first. */
export const VM_SIZES: readonly VMSize[] = ['small', 'medium', 'large'];

/**
 * The clouds a SAM user can connect. SAM's own shared package names more clouds than this one: code that consumes
 * it must not assume the union has exactly these members (no exhaustive `Record` or `never` switch over it).
 */
export type CredentialProvider = 'hetzner' | 'scaleway';
