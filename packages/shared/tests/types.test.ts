import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HETZNER_DATACENTER,
  DEFAULT_HETZNER_IMAGE,
  DEFAULT_SCALEWAY_IMAGE_NAME,
  DEFAULT_SCALEWAY_ZONE,
  VM_SIZES,
} from '../src/index.js';

describe('shared domain types', () => {
  it('lists the sizes smallest first', () => {
    expect(VM_SIZES).toEqual(['small', 'medium', 'large']);
  });

  it('carries the defaults SAM’s own shared package defines, with the same values', () => {
    expect({
      DEFAULT_SCALEWAY_ZONE,
      DEFAULT_SCALEWAY_IMAGE_NAME,
      DEFAULT_HETZNER_DATACENTER,
      DEFAULT_HETZNER_IMAGE,
    }).toEqual({
      DEFAULT_SCALEWAY_ZONE: 'fr-par-1',
      DEFAULT_SCALEWAY_IMAGE_NAME: 'ubuntu_noble',
      DEFAULT_HETZNER_DATACENTER: 'fsn1',
      DEFAULT_HETZNER_IMAGE: 'docker-ce',
    });
  });
});
