import type { MappedHttpError } from './http-client.js';

/** The verdict on a failed response from its HTTP status alone, when the body says nothing we can read. */
export function statusFallback(status: number): Pick<MappedHttpError, 'category' | 'message'> {
  if (status === 401) return { category: 'auth', message: 'the credentials were rejected' };
  if (status === 403) return { category: 'permission', message: 'permission denied' };
  if (status === 404) return { category: 'not_found', message: 'not found' };
  if (status === 409 || status === 412 || status === 423)
    return { category: 'conflict', message: 'conflict' };
  if (status === 429) return { category: 'rate_limited', message: 'too many requests' };
  if (status >= 500) return { category: 'unavailable', message: 'the provider failed' };
  if (status >= 400) return { category: 'invalid_request', message: 'the request was rejected' };
  return { category: 'unknown', message: `unexpected status ${status}` };
}
