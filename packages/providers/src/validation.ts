import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * Parse `value` with `schema`; on failure throw an `invalid_input` `ProviderError` naming the first offending
 * field (`field`, or `field.path` for nested input). The rejected value is never quoted: it may be a secret.
 */
export function parseInput<Schema extends z.ZodType>(
  provider: string,
  schema: Schema,
  value: unknown,
  field: string,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  throw invalidInput(provider, path === '' ? field : `${field}.${path}`, issue?.message ?? 'invalid value');
}

/** A {@link VMSize}, validated. */
export const vmSizeSchema = z.enum(['small', 'medium', 'large'] satisfies VMSize[], {
  error: 'must be one of small, medium, large',
});
