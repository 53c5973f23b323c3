import { describe, expect, it } from 'vitest';
import {
  HETZNER_LOCATIONS,
  hetznerCredentialSchema,
  providerCredentialSchema,
  SCALEWAY_ZONES,
  VM_SIZES,
} from '../src/index.js';

describe('shared domain types', () => {
  it('lists the sizes smallest first', () => {
    expect(VM_SIZES).toEqual(['small', 'medium', 'large']);
  });

  it('accepts a well-formed Hetzner credential and rejects empty or malformed tokens', () => {
    const token = 'a'.repeat(64);
    expect(hetznerCredentialSchema.parse({ provider: 'hetzner', token })).toEqual({
      provider: 'hetzner',
      token,
    });
    expect(hetznerCredentialSchema.safeParse({ provider: 'hetzner', token: '' }).success).toBe(false);
    expect(hetznerCredentialSchema.safeParse({ provider: 'hetzner', token: 'has space' }).success).toBe(
      false,
    );
    expect(providerCredentialSchema.safeParse({ provider: 'unknown', token }).success).toBe(false);
  });

  it('names every location once', () => {
    for (const list of [HETZNER_LOCATIONS, SCALEWAY_ZONES]) {
      const ids = list.map((location) => location.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(SCALEWAY_ZONES).toHaveLength(10);
  });
});
