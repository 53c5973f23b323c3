import { HETZNER_CAPACITY_ERRORS } from './capacity.js';

/** A Hetzner error body: `{ error: { code, message, details } }` (docs/hetzner-api.md "Errors"). */
export interface HetznerErrorExample {
  readonly name: string;
  readonly status: number;
  readonly body: { error: { code: string; message: string; details: Record<string, never> } };
}

const example = (
  status: number,
  code: string,
  message: string,
  name: string = code,
): HetznerErrorExample => ({
  name,
  status,
  body: { error: { code, message, details: {} } },
});

/**
 * One of every error body the Hetzner emulator answers with, with the same status, code and message, so that a
 * consumer can test its error table against all of them.
 */
export const HETZNER_ERROR_EXAMPLES: readonly HetznerErrorExample[] = [
  example(401, 'unauthorized', 'unable to authenticate'),
  example(400, 'json_error', 'invalid JSON'),
  example(400, 'invalid_input', 'invalid name: must be a valid hostname', 'invalid_input (name)'),
  example(400, 'invalid_input', 'unknown server type', 'invalid_input (server type)'),
  example(400, 'invalid_input', 'image not found', 'invalid_input (image)'),
  example(409, 'uniqueness_error', 'server name is already used'),
  ...Object.entries(HETZNER_CAPACITY_ERRORS).map(([failure, { status, code, message }]) =>
    example(status, code, message, failure),
  ),
  example(403, 'resource_limit_exceeded', 'server limit exceeded'),
  example(404, 'not_found', 'server with ID 1 not found'),
];
