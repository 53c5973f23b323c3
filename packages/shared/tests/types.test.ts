import { describe, expect, it } from 'vitest';
import {
  HETZNER_LOCATIONS,
  hetznerCredentialSchema,
  providerCredentialSchema,
  SCALEWAY_ZONES,
  scalewayCredentialSchema,
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

describe('Scaleway credential', () => {
  it('requires a UUID secret key and project id', () => {
    const valid = {
      provider: 'scaleway',
      secretKey: '11111111-2222-4333-8444-555555555555',
      projectId: '66666666-7777-4888-9999-000000000000',
    };
    expect(scalewayCredentialSchema.parse(valid)).toEqual(valid);
    expect(providerCredentialSchema.parse(valid)).toEqual(valid);
    expect(scalewayCredentialSchema.safeParse({ ...valid, secretKey: 'SCWXXXXXXXXXXXXXXXXX' }).success).toBe(
      false,
    );
    expect(scalewayCredentialSchema.safeParse({ ...valid, projectId: '../etc' }).success).toBe(false);
  });
});
