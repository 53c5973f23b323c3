import type { ProviderErrorCategory } from './errors.js';

/** A flat record of safe diagnostics for one log line: never a secret, never user data. */
export interface ProviderLogContext {
  [key: string]: string | number | boolean | null | undefined;
}

/** Where a provider writes one line per retry, capacity wait, placement fallback and failed cleanup. */
export interface ProviderLogger {
  warn(message: string, context?: ProviderLogContext): void;
  info(message: string, context?: ProviderLogContext): void;
}

/**
 * One observable step of a provider call. URLs never carry secrets; bodies and auth headers are redacted. The one
 * event source of the library: `onEvent` sees every event, the `logger` a line for each of the notable ones.
 */
export type ProviderEvent =
  | {
      type: 'request';
      method: string;
      url: string;
      attempt: number;
      headers: Record<string, string>;
      body?: string;
    }
  | { type: 'response'; method: string; url: string; attempt: number; status: number; durationMs: number }
  | {
      type: 'retry';
      method: string;
      url: string;
      attempt: number;
      delayMs: number;
      category: ProviderErrorCategory;
      statusCode?: number;
    }
  | { type: 'error'; method: string; url: string; attempt: number; category: ProviderErrorCategory }
  /** A create found no capacity for its server type in a location and waits `delayMs` before trying again. */
  | {
      type: 'capacity_retry';
      location: string;
      serverType: string;
      /** The attempt that failed, from 1. */
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      code?: string;
    }
  /** A create failed to be placed and is tried again in the same location after `delayMs`. */
  | { type: 'placement_retry'; location: string; serverType: string; delayMs: number }
  /** A create could not be placed in `from` and moves on to `to`. */
  | { type: 'location_fallback'; from: string; to: string; serverType: string }
  /**
   * A resource the library tried to remove after a failure could not be removed (e.g. the server of a create the
   * caller aborted). Reported here as well as on the error, since an abort reason cannot carry it.
   */
  | {
      type: 'cleanup_failed';
      resource: string;
      category: ProviderErrorCategory;
      message: string;
    };

/** Feeds one event to the observer and the logger. */
export type EmitEvent = (event: ProviderEvent) => void;

/**
 * The library's one event source: each event goes to `onEvent` as is, and the notable ones to `logger` as one line.
 * A failing observer or logger never changes the outcome of a call.
 */
export function createEventSink(
  provider: string,
  onEvent: ((event: ProviderEvent) => void) | undefined,
  logger: ProviderLogger | undefined,
): EmitEvent {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // An observer's failure must not change the outcome of the call.
    }
    const line = logLine(event);
    if (line === undefined || logger === undefined) return;
    try {
      logger[line.level](line.message, { provider, ...line.context });
    } catch {
      // Nor may a logger's.
    }
  };
}

interface LogLine {
  level: 'warn' | 'info';
  message: string;
  context: ProviderLogContext;
}

function logLine(event: ProviderEvent): LogLine | undefined {
  switch (event.type) {
    case 'request':
    case 'response':
    case 'error':
      return undefined;
    case 'retry':
      return {
        level: 'warn',
        message: `Retrying ${event.method} ${pathOf(event.url)} in ${event.delayMs} ms after ${event.category}`,
        context: {
          method: event.method,
          path: pathOf(event.url),
          attempt: event.attempt + 1,
          delayMs: event.delayMs,
          category: event.category,
          statusCode: event.statusCode ?? null,
        },
      };
    case 'capacity_retry':
      return {
        level: 'warn',
        message: `No capacity for ${event.serverType} in ${event.location} (attempt ${event.attempt} of ${event.maxAttempts}); retrying in ${event.delayMs} ms`,
        context: {
          location: event.location,
          serverType: event.serverType,
          attempt: event.attempt,
          maxAttempts: event.maxAttempts,
          delayMs: event.delayMs,
          providerCode: event.code ?? null,
        },
      };
    case 'placement_retry':
      return {
        level: 'warn',
        message: `Placement of ${event.serverType} in ${event.location} failed; retrying there in ${event.delayMs} ms`,
        context: { location: event.location, serverType: event.serverType, delayMs: event.delayMs },
      };
    case 'location_fallback':
      return {
        level: 'info',
        message: `Placement of ${event.serverType} in ${event.from} failed; trying ${event.to}`,
        context: { from: event.from, to: event.to, serverType: event.serverType },
      };
    case 'cleanup_failed':
      return {
        level: 'warn',
        message: `Cleanup failed: ${event.resource} may be left behind (${event.category}): ${event.message}`,
        context: { resource: event.resource, category: event.category },
      };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** The path of a URL, without its query (which may hold names or labels, but never secrets). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?');
  return start === -1 ? '/' : url.slice(start, end === -1 ? undefined : end);
}
