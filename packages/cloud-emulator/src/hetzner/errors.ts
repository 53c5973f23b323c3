import { HETZNER_CAPACITY_ERRORS } from './capacity.js';

/** A Hetzner error body: `{ error: { code, message, details } }` (docs/hetzner-api.md "Errors"). */
export interface HetznerErrorExample {
  readonly name: string;
  readonly status: number;
  readonly body: { error: { code: string; message: string; details: Record<string, never> } };
}

/** The status, code and message of one kind of error answer. */
export interface HetznerErrorDefinition {
  readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 422 | 423;
  readonly code: string;
  readonly message: string;
}

/** An error answer, thrown by the emulated domain and rendered by the router. */
export class HetznerApiError extends Error {
  readonly status: HetznerErrorDefinition['status'];
  readonly code: string;

  constructor({ status, code, message }: HetznerErrorDefinition) {
    super(message);
    this.name = 'HetznerApiError';
    this.status = status;
    this.code = code;
  }

  get body(): HetznerErrorExample['body'] {
    return { error: { code: this.code, message: this.message, details: {} } };
  }
}

/** Throwable form of `definition`, with `message` replacing its message (for ids and field names). */
export function hetznerError(definition: HetznerErrorDefinition, message?: string): HetznerApiError {
  return new HetznerApiError(message === undefined ? definition : { ...definition, message });
}

const define = (
  status: HetznerErrorDefinition['status'],
  code: string,
  message: string,
): HetznerErrorDefinition => ({ status, code, message });

/** 404 for a server id; the message names the id. */
export const serverNotFound = (id: number | string): HetznerApiError =>
  hetznerError(define(404, 'not_found', `server with ID ${id} not found`));

/**
 * The errors of the Volumes API and of action polling (docs/hetzner-api.md "Volumes"). Codes marked UNCONFIRMED are
 * the emulator's choice where nobody recorded Hetzner's answer; change them here and every route follows.
 */
export const HETZNER_VOLUME_ERRORS = {
  json: define(400, 'json_error', 'invalid JSON'),
  // UNCONFIRMED (docs/hetzner-api.md "Volumes"): the status and message of an out-of-range size.
  invalidSize: define(400, 'invalid_input', 'invalid size: must be an integer from 10 to 10240 GB'),
  invalidName: define(
    400,
    'invalid_input',
    'invalid name: at most 64 alphanumerics, "-", "_" or ".", starting and ending alphanumeric',
  ),
  locationOrServer: define(400, 'invalid_input', 'exactly one of location and server is required'),
  automountWithoutServer: define(400, 'invalid_input', 'automount requires server'),
  invalidAutomount: define(400, 'invalid_input', 'automount must be a boolean'),
  invalidFormat: define(400, 'invalid_input', 'invalid format: must be xfs or ext4'),
  invalidServer: define(400, 'invalid_input', 'server must be a server ID'),
  invalidProtection: define(400, 'invalid_input', 'delete must be a boolean'),
  // Listed once among the server errors: the same checks and messages (also 'labels must be an object').
  invalidLabel: define(400, 'invalid_input', 'invalid label key'),
  unknownLocation: define(400, 'invalid_input', 'location not found'),
  invalidStatus: define(400, 'invalid_input', 'invalid status'),
  invalidSort: define(400, 'invalid_input', 'invalid sort'),
  invalidId: define(400, 'invalid_input', 'invalid id'),
  // Listed once among the server errors.
  invalidSelector: define(400, 'invalid_input', 'invalid label_selector'),
  nameTaken: define(409, 'uniqueness_error', 'volume name is already used'),
  noSpace: define(422, 'no_space_left_in_location', 'There is no volume space left in the given location'),
  // UNCONFIRMED: Hetzner's message for the project's volume quota; the code is the documented quota code.
  volumeLimit: define(403, 'resource_limit_exceeded', 'volume limit exceeded'),
  notFound: define(404, 'not_found', 'volume with ID 1 not found'),
  actionNotFound: define(404, 'not_found', 'action with ID 1 not found'),
  // UNCONFIRMED: the message of a delete-protected volume.
  protected: define(423, 'protected', 'volume is delete protected'),
  // UNCONFIRMED: Hetzner's code for deleting an attached volume was never recorded (clients detach first). The
  // emulator answers like a firewall still in use (hcloud-go `resource_in_use`), 409 so that it reads as a conflict.
  attached: define(409, 'resource_in_use', 'volume is attached to a server, detach first'),
  // UNCONFIRMED: the status; code and message as hcloud-go documents them.
  alreadyAttached: define(
    409,
    'volume_already_attached',
    'Volume is already attached to a server, detach first',
  ),
  // UNCONFIRMED: detaching a volume that is not attached (clients check `server` first).
  notAttached: define(400, 'invalid_input', 'volume is not attached to a server'),
  // UNCONFIRMED: attaching across locations ("works only if the Server is in the same Location as the Volume").
  otherLocation: define(400, 'invalid_input', 'server and volume must be in the same location'),
  // UNCONFIRMED: the status and message; the code is the one the CSI driver maps to "attach limit reached".
  attachLimit: define(403, 'limit_exceeded_error', 'server has the maximum of 16 volumes attached'),
  // The recorded message (CSI driver issue #12).
  serverLocked: define(423, 'locked', 'cannot perform operation because server is locked'),
  // UNCONFIRMED: the message, by analogy with the recorded one for a server.
  volumeLocked: define(423, 'locked', 'cannot perform operation because volume is locked'),
  // UNCONFIRMED (docs/hetzner-api.md "Volumes"): shrinking or keeping the size; "expect invalid_input".
  notLarger: define(400, 'invalid_input', 'size must be greater than the current size'),
} as const satisfies Record<string, HetznerErrorDefinition>;

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
 * consumer can test its error table against all of them. Messages naming an id or a field show one instance.
 */
export const HETZNER_ERROR_EXAMPLES: readonly HetznerErrorExample[] = [
  example(401, 'unauthorized', 'unable to authenticate'),
  example(400, 'json_error', 'invalid JSON'),
  example(400, 'invalid_input', 'invalid name: must be a valid hostname', 'invalid_input (name)'),
  example(400, 'invalid_input', 'unknown server type', 'invalid_input (server type)'),
  example(400, 'invalid_input', 'image not found', 'invalid_input (image)'),
  example(400, 'invalid_input', 'server_type is required', 'invalid_input (server_type)'),
  example(400, 'invalid_input', 'image is required', 'invalid_input (image required)'),
  example(400, 'invalid_input', 'user_data must be a string of at most 32 KiB', 'invalid_input (user_data)'),
  example(400, 'invalid_input', 'labels must be an object', 'invalid_input (labels)'),
  example(400, 'invalid_input', 'invalid label key', 'invalid_input (label)'),
  example(400, 'invalid_input', 'invalid label_selector', 'invalid_input (label_selector)'),
  example(409, 'uniqueness_error', 'server name is already used'),
  ...Object.entries(HETZNER_CAPACITY_ERRORS).map(([failure, { status, code, message }]) =>
    example(status, code, message, failure),
  ),
  example(403, 'resource_limit_exceeded', 'server limit exceeded'),
  example(404, 'not_found', 'server with ID 1 not found'),
  example(404, 'not_found', 'action explode not found', 'not_found (server action)'),
  example(404, 'not_found', 'not found', 'not_found (route)'),
  ...Object.entries(HETZNER_VOLUME_ERRORS)
    .filter(([key]) => key !== 'json' && key !== 'invalidLabel' && key !== 'invalidSelector')
    .map(([key, { status, code, message }]) => example(status, code, message, `${code} (${key})`)),
];
