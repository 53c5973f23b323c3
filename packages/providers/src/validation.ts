import type { CredentialProvider } from '@simple-agent-manager/shared';
import type { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * Parse `value` with `schema`; on failure throw an `invalid_input` `ProviderError` naming the first offending
 * field (`field`, or `field.path` for nested input). The rejected value is never quoted: it may be a secret.
 */
export function parseInput<Schema extends z.ZodType>(
  provider: CredentialProvider,
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
