import { ProviderError } from './errors.js';

/**
 * Provider codes that mean "no capacity for this server type here, right now" (docs/hetzner-api.md "Errors",
 * docs/scaleway-api.md §7). A quota (`quotas_exceeded`, `resource_limit_exceeded`, `server_limit_exceeded`) is not
 * one of them: waiting does not lift it.
 */
const CAPACITY_CODES: Readonly<Record<string, ReadonlySet<string>>> = {
  scaleway: new Set(['out_of_stock']),
  hetzner: new Set(['resource_unavailable', 'placement_error']),
};

/** Hetzner answers 422 `invalid_input` with this message when a type is sold out in a location (seen in production). */
const HETZNER_UNSUPPORTED_LOCATION = /unsupported location for server type/i;

/**
 * True exactly when `error` means "no capacity for this type here right now": Scaleway `out_of_stock`; Hetzner
 * `resource_unavailable`, `placement_error` and the 422 "unsupported location for server type"; and this library's
 * own `capacity` errors (a Hetzner create whose capacity retries ran out). False for quotas, auth, input, outages and
 * everything else, and for anything that is not a `ProviderError`. The control plane steps a default size down on
 * `true`, and fails fast on `false`.
 */
export function isTransientCapacityError(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.category === 'capacity') return true;
  const code = error.providerCode;
  if (code !== undefined && CAPACITY_CODES[error.providerName]?.has(code) === true) return true;
  if (error.providerName !== 'hetzner') return false;
  // A placement failure logged without its code still says so (SAM's recorded 412 bodies).
  if (error.statusCode === 412 && code === undefined && /placement/i.test(error.message)) return true;
  return (
    error.statusCode === 422 &&
    (code === undefined || code === 'invalid_input') &&
    HETZNER_UNSUPPORTED_LOCATION.test(error.message)
  );
}
