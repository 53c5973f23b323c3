import type { ProviderError } from '../src/index.js';

/**
 * The rejection of `promise`, as the `ProviderError` it should be; never rejects itself (a rejection left pending in
 * virtual time would be unhandled). A promise that resolves yields an object that matches no error assertion.
 */
export const failureOf = (promise: Promise<unknown>): Promise<ProviderError> =>
  promise.then(
    (value) => ({ unexpectedlyResolvedWith: value }) as unknown as ProviderError,
    (error: unknown) => error as ProviderError,
  );
