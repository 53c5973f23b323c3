import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { invalidInput } from './errors.js';

/**
 * The issue that says what is wrong, with its path from the parsed value. Zod reports a bad record key as
 * `invalid_key` ("Invalid key in record") and a bad map or set element as `invalid_element`, each with the key's own
 * issues nested inside: the first of those carries the schema's message (e.g. `label keys must not be empty`).
 */
function reasonOf(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues.length > 0) {
    const nested = reasonOf(issue.issues[0] as z.core.$ZodIssue);
    return { path: [...issue.path, ...nested.path], message: nested.message };
  }
  return { path: issue.path, message: issue.message };
}

/**
 * Parse `value` with `schema`; on failure throw an `invalid_input` `ProviderError` naming the first offending
 * field (`field`, or `field.path` for nested input, a record's key included) with the schema's own message. The
 * rejected value is never quoted: it may be a secret.
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
  const reason = issue === undefined ? undefined : reasonOf(issue);
  const path = reason?.path.map(String).join('.') ?? '';
  throw invalidInput(provider, path === '' ? field : `${field}.${path}`, reason?.message ?? 'invalid value');
}

/** A {@link VMSize}, validated. */
export const vmSizeSchema = z.enum(['small', 'medium', 'large'] satisfies VMSize[], {
  error: 'must be one of small, medium, large',
});
