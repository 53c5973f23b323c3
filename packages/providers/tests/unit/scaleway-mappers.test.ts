import { describe, expect, it } from 'vitest';
import { hasAmbiguousLabel, matchesLabels } from '../../src/labels.js';
import {
  labelsToTags,
  mapScalewayError,
  mapScalewayServer,
  mapScalewayStatus,
  tagsToLabels,
} from '../../src/scaleway-mappers.js';

const headers = new Headers();

describe('mapScalewayError', () => {
  // Bodies as recorded in docs/scaleway-api.md §2.3 and §7.
  it.each([
    [
      401,
      {
        message: 'authentication is denied',
        method: 'api_key',
        reason: 'invalid_argument',
        type: 'denied_authentication',
      },
      'auth',
    ],
    [401, { message: 'Authentication error', type: 'invalid_auth' }, 'auth'],
    [
      403,
      {
        details: [{ action: 'read', resource: 'server' }],
        message: 'insufficient permissions',
        type: 'permissions_denied',
      },
      'permission',
    ],
    [
      404,
      {
        type: 'not_found',
        message: 'resource is not found',
        resource: 'instance_server',
        resource_id: 'abc',
      },
      'not_found',
    ],
    [404, { type: 'unknown_resource', message: '"abc" not found' }, 'not_found'],
    [
      400,
      {
        type: 'invalid_arguments',
        message: 'invalid argument(s)',
        details: [
          { argument_name: 'commercial_type', reason: 'required', help_message: 'required key not provided' },
        ],
      },
      'invalid_request',
    ],
    [400, { type: 'invalid_request_error', message: 'server should be running' }, 'conflict'],
    [400, { type: 'invalid_request_error', message: 'instance should be powered off' }, 'conflict'],
    [
      400,
      {
        type: 'invalid_request_error',
        message: 'Validation Error',
        fields: { 'volumes.5.id': ['92 is not a valid UUID.'] },
      },
      'invalid_request',
    ],
    [
      403,
      {
        type: 'invalid_request_error',
        message: 'Quota exceeded for this resource.',
        resource: 'compute_snapshots_type_b_ssd_available',
      },
      'quota',
    ],
    [
      403,
      {
        type: 'quotas_exceeded',
        message: 'quota(s) exceeded for this resource',
        details: [{ resource: 'instance_volume', quota: 10, current: 10 }],
      },
      'quota',
    ],
    [
      409,
      {
        type: 'transient_state',
        message: 'resource is in a transient state',
        resource: 'instance_server',
        resource_id: 'x',
        current_state: 'starting',
      },
      'conflict',
    ],
    [409, { message: 'Group is in use. You cannot delete it.', type: 'conflict' }, 'conflict'],
    [
      412,
      {
        type: 'precondition_failed',
        message: 'precondition is not respected',
        precondition: 'resource_still_in_use',
      },
      'conflict',
    ],
    [423, { type: 'locked', resource: 'instance_server', resource_id: 'x' }, 'conflict'],
    [503, { type: 'out_of_stock', message: 'resource is out of stock', resource: 'DEV1-M' }, 'capacity'],
    [429, undefined, 'rate_limited'],
    [429, { type: 'too_many_requests', help_message: 'slow down' }, 'rate_limited'],
    [500, undefined, 'unavailable'],
    [502, { message: 'bad gateway' }, 'unavailable'],
    [410, { type: 'resource_expired', resource: 'x' }, 'not_found'],
    [418, { type: 'a_brand_new_type', message: 'teapot' }, 'invalid_request'],
  ])('%i %j → %s', (status, body, category) => {
    const mapped = mapScalewayError({ status, body, headers });
    expect(mapped.category).toBe(category);
    const type = (body as { type?: string } | undefined)?.type;
    if (type !== undefined) expect(mapped.code).toBe(type);
    expect(mapped.message).toMatch(new RegExp(`^Scaleway API ${status}`));
  });

  it('names the resource in the message and keeps retry verdicts by category', () => {
    const mapped = mapScalewayError({
      status: 404,
      body: {
        type: 'not_found',
        message: 'resource is not found',
        resource: 'MarketplaceImage',
        resource_id: 'ubuntu_x',
      },
      headers,
    });
    expect(mapped.message).toBe(
      'Scaleway API 404 not_found: resource is not found (MarketplaceImage ubuntu_x)',
    );
    expect(mapScalewayError({ status: 500, body: '<html>', headers }).message).toBe(
      'Scaleway API 500: the provider failed',
    );
  });
});

describe('mapScalewayStatus', () => {
  it.each([
    ['running', '', 'running'],
    ['stopped', '', 'off'],
    ['stopped in place', 'stopped in place', 'off'],
    ['starting', 'allocating node', 'starting'],
    ['stopping', 'stopping', 'stopping'],
    ['stopping', 'terminating', 'deleting'],
    ['locked', '', 'locked'],
    ['hibernating', '', 'unknown'],
  ])('%s (%s) → %s', (state, detail, status) => {
    expect(mapScalewayStatus(state, detail)).toBe(status);
  });
});

describe('labels and tags', () => {
  it('writes key=value tags and reads them back split on the first "="', () => {
    expect(labelsToTags({ team: 'a', expr: 'x=y' })).toEqual(['team=a', 'expr=x=y']);
    expect(tagsToLabels(['team=a', 'expr=x=y', 'empty='])).toEqual({ team: 'a', expr: 'x=y', empty: '' });
  });

  it('ignores tags that are not labels and marks keys present twice as ambiguous, never as a value', () => {
    const labels = tagsToLabels(['plain', '=novalue', 'sam-creation:123', 'dup=1', 'dup=2', 'ok=1', 'dup=3']);
    expect(labels).toEqual({ ok: '1', __sam_internal_ambiguous_label__dup: 'true' });
    expect(hasAmbiguousLabel(labels, 'dup')).toBe(true);
    expect(hasAmbiguousLabel(labels, 'ok')).toBe(false);
    expect(matchesLabels(labels, { dup: '1' })).toBe(false);
    expect(matchesLabels(labels, { dup: '2' })).toBe(false);
    expect(matchesLabels(labels, { __sam_internal_ambiguous_label__dup: 'true' })).toBe(false);
    expect(matchesLabels(labels, { ok: '1' })).toBe(true);
  });

  it('treats a key repeated with the same value as ambiguous too, and ignores forged markers', () => {
    expect(tagsToLabels(['env=a', 'env=a'])).toEqual({ __sam_internal_ambiguous_label__env: 'true' });
    // Only the mapper writes markers: a raw tag carrying the prefix is not a label at all.
    const forged = tagsToLabels(['__sam_internal_ambiguous_label__owner=true', 'owner=alice']);
    expect(forged).toEqual({ owner: 'alice' });
    expect(hasAmbiguousLabel(forged, 'owner')).toBe(false);
  });
});

describe('mapScalewayServer', () => {
  const base = {
    id: '5f1a4c3e-0000-4000-8000-000000000001',
    name: 'agent',
    state: 'running',
    commercial_type: 'DEV1-M',
    creation_date: '2025-09-05T15:46:14.716637+00:00',
    tags: ['team=a', 'sam-creation:x'],
  };

  it('gives a zonal id, the IPv4 from public_ips and the labels', () => {
    const vm = mapScalewayServer(
      {
        ...base,
        public_ips: [
          { address: '2001:db8::1', family: 'inet6' },
          { address: '51.15.229.243', family: 'inet', dynamic: true },
        ],
      },
      'fr-par-2',
    );
    expect(vm).toEqual({
      id: `fr-par-2/${base.id}`,
      name: 'agent',
      ip: '51.15.229.243',
      status: 'running',
      statusDetail: 'running',
      serverType: 'DEV1-M',
      location: 'fr-par-2',
      createdAt: new Date(base.creation_date).toISOString(),
      labels: { team: 'a' },
    });
  });

  it('falls back to the deprecated public_ip and to empty values', () => {
    expect(mapScalewayServer({ ...base, public_ip: { address: '51.15.0.1' } }, 'fr-par-1').ip).toBe(
      '51.15.0.1',
    );
    expect(
      mapScalewayServer({ ...base, public_ip: { address: '2001:db8::2', family: 'inet6' } }, 'fr-par-1').ip,
    ).toBe('');
    const bare = mapScalewayServer(
      {
        id: base.id,
        name: 'n',
        state: 'stopped',
        commercial_type: 'DEV1-M',
        tags: null,
        creation_date: null,
      },
      'fr-par-1',
    );
    expect(bare).toMatchObject({ ip: '', labels: {}, createdAt: '', status: 'off', statusDetail: 'stopped' });
    const booting = mapScalewayServer(
      { ...base, state: 'starting', state_detail: 'provisioning node' },
      'fr-par-1',
    );
    expect(booting.statusDetail).toBe('starting: provisioning node');
  });
});

describe('mapScalewayError, hostile bodies', () => {
  it('never reads a verdict from the prototype chain', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const mapped = mapScalewayError({ status: 400, body: { type, message: 'x' }, headers });
      expect(mapped.category).toBe('invalid_request');
    }
  });

  it('tells a wrong-state refusal from a bad request in the legacy type', () => {
    const legacy = (message: string) =>
      mapScalewayError({ status: 400, body: { type: 'invalid_request_error', message }, headers }).category;
    expect(legacy('server should be running')).toBe('conflict');
    expect(legacy("Server not in 'running' state")).toBe('conflict');
    expect(legacy('server is protected')).toBe('conflict');
    expect(legacy('Invalid JSON body')).toBe('invalid_request');
  });

  it('keeps what it can read from a partly malformed body, and reads reset_seconds', () => {
    const mapped = mapScalewayError({
      status: 404,
      body: { type: 'not_found', message: 42, resource: ['x'] },
      headers,
    });
    expect(mapped).toMatchObject({ category: 'not_found', code: 'not_found' });
    expect(
      mapScalewayError({ status: 429, body: { type: 'too_many_requests', reset_seconds: 13 }, headers })
        .retryAfterMs,
    ).toBe(13_000);
  });
});
