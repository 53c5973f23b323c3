import { HETZNER_EMULATOR_TOKEN } from '@simple-agent-manager/cloud-emulator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProvider, isProviderError, type ProviderError } from '../../src/index.js';
import { parseInput } from '../../src/validation.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

/** The error `call` throws or rejects with. */
async function failureOf(call: () => unknown): Promise<ProviderError> {
  try {
    await call();
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

/** No request may be sent: input is refused before any. */
const noFetch: typeof fetch = () => {
  throw new Error('no request expected');
};

const labels = z.record(
  z
    .string()
    .min(1, 'label keys must not be empty')
    .regex(/^[a-z]+$/, 'label keys must be lower-case letters'),
  z.string().max(3, 'label values must be at most 3 characters'),
);

describe('parseInput', () => {
  it('returns the parsed value', () => {
    expect(parseInput('test', z.object({ labels }), { labels: { team: 'a' } }, 'vm')).toEqual({
      labels: { team: 'a' },
    });
  });

  it("names a bad record key by its path and gives the key schema's own message, not zod's generic one", async () => {
    const error = await failureOf(() =>
      parseInput('test', z.object({ labels }), { labels: { 'Bad-Key': 'a' } }, 'vm'),
    );

    expect(error.category).toBe('invalid_input');
    expect(error.field).toBe('vm.labels.Bad-Key');
    expect(error.message).toBe('Invalid vm.labels.Bad-Key: label keys must be lower-case letters');
    expect(error.message).not.toContain('Invalid key in record');
  });

  it('gives the first of several nested key issues; an empty key names the record itself', async () => {
    const error = await failureOf(() => parseInput('test', labels, { '': 'a' }, 'labels'));

    expect(error.field).toBe('labels');
    expect(error.message).toBe('Invalid labels: label keys must not be empty');
  });

  it('names a bad record value by its key', async () => {
    const error = await failureOf(() => parseInput('test', labels, { team: 'abcd' }, 'labels'));

    expect(error.field).toBe('labels.team');
    expect(error.message).toBe('Invalid labels.team: label values must be at most 3 characters');
  });

  it('names the field itself when the value at its root is wrong, without quoting the value', async () => {
    const error = await failureOf(() =>
      parseInput('test', z.string().uuid('must be a UUID'), 'SECRET-MARKER-1', 'config.secretKey'),
    );

    expect(error.field).toBe('config.secretKey');
    expect(error.message).toBe('Invalid config.secretKey: must be a UUID');
    expect(JSON.stringify(error)).not.toContain('SECRET-MARKER-1');
  });
});

describe('label key refusals reach ProviderError.message', () => {
  it.each([
    [
      'Scaleway',
      () =>
        createProvider({ ...scalewayTestConfig(), fetch: noFetch }).createVM({
          name: 'agent',
          size: 'small',
          location: 'fr-par-1',
          userData: '',
          labels: { 'bad key': 'x' },
        }),
      'Invalid vm.labels.bad key: label keys must not contain "=", "," or whitespace',
    ],
    [
      'Hetzner',
      () =>
        createProvider({ provider: 'hetzner', apiToken: HETZNER_EMULATOR_TOKEN, fetch: noFetch }).createVM({
          name: 'agent',
          size: 'small',
          location: 'fsn1',
          userData: '',
          labels: { 'bad key': 'x' },
        }),
      'Invalid vm.labels.bad key: label keys must be up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
    [
      'Scaleway list filter',
      () => createProvider({ ...scalewayTestConfig(), fetch: noFetch }).listVMs({ 'a=b': 'x' }),
      'Invalid labels.a=b: label keys must not contain "=", "," or whitespace',
    ],
  ])('%s', async (_, call, message) => {
    const error = await failureOf(call);

    expect(error.category).toBe('invalid_input');
    expect(error.message).toBe(message);
  });
});
