import { http, type RequestHandler } from 'msw';
import { type ClockMode, TransitionClock } from './clock.js';
import { type FaultHandle, FaultPlan, type FaultRule } from './faults.js';
import { createRandom } from './random.js';

/** One request the emulator received, with secrets redacted. */
export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The request body as text; `[REDACTED]` for text/plain user data. */
  body?: string;
  /** The status answered, or `undefined` when the connection was dropped. */
  status?: number;
  /** The status the emulated API produced, before any `phase: 'after'` fault replaced or dropped it. */
  apiStatus?: number;
  /** The label (or kind) of the fault that fired, if any. */
  fault?: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
}

/** A paid resource the emulator holds. `orphaned`: a volume or IP no server uses any more. */
export interface InventoryItem {
  kind: 'server' | 'volume' | 'ip';
  id: string;
  zone?: string;
  project?: string;
  /** For volumes and IPs: the server they belong to, or `null`. */
  server?: string | null;
  orphaned: boolean;
  detail?: Record<string, unknown>;
}

/** Every paid resource still present, by kind. */
export interface Leftovers {
  servers: InventoryItem[];
  volumes: InventoryItem[];
  ips: InventoryItem[];
}

/** The answer to one request: a response, or a dropped connection. */
export type EmulatorOutcome = { kind: 'response'; response: Response } | { kind: 'drop' };

/** Options every emulator accepts. */
export interface EmulatorOptions {
  /** Seeds ids and probabilistic faults. Default 1. */
  seed?: number;
  /** How transitions advance. Default `{ mode: 'instant' }`. */
  clock?: ClockMode;
  /** Fixed delay added to every answer, in milliseconds. Default 0. */
  latencyMs?: number;
}

/** The controls and transports every emulator offers. */
export interface CloudEmulator {
  readonly name: string;
  /** The public base URL the emulated API normally lives at (msw handlers intercept it). */
  readonly defaultBaseUrl: string;
  readonly clock: TransitionClock;
  readonly requests: readonly RequestLogEntry[];
  /** True when this emulator serves `pathname` (several emulators can share one loopback server). */
  serves(pathname: string): boolean;
  /** Answer one request. */
  handle(request: Request): Promise<EmulatorOutcome>;
  /** `handle` for fetch-style callers: a dropped connection becomes a network error response. */
  fetch(request: Request): Promise<Response>;
  /** msw handlers intercepting `baseUrl` (default {@link defaultBaseUrl}). */
  handlers(baseUrl?: string): RequestHandler[];
  injectFault(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  setLatency(ms: number): void;
  clearRequests(): void;
  /** Requests received, optionally only those matching `method` and a path prefix or pattern. */
  requestCount(filter?: { method?: string; path?: string | RegExp }): number;
  /** Every resource held. */
  inventory(): InventoryItem[];
  /** Resources still present, grouped by kind. */
  leftovers(): Leftovers;
  /** Remove every resource, fault and log entry. */
  reset(): void;
}

/** What a concrete emulator supplies to {@link EmulatorBase}. */
export interface EmulatorDefinition {
  name: string;
  defaultBaseUrl: string;
  /** Path prefixes this emulator serves, e.g. `/v1/`. */
  pathPrefixes: readonly string[];
  /** Header names whose values are secrets (auth). */
  secretHeaders: readonly string[];
}

const REDACTED = '[REDACTED]';

/** Shared machinery: request log, faults, latency, clock and the msw transport. */
export abstract class EmulatorBase implements CloudEmulator {
  readonly name: string;
  readonly defaultBaseUrl: string;
  readonly clock: TransitionClock;
  protected readonly random: () => number;
  readonly #definition: EmulatorDefinition;
  readonly #faults: FaultPlan;
  #latencyMs: number;
  #requests: RequestLogEntry[] = [];

  protected constructor(definition: EmulatorDefinition, options: EmulatorOptions = {}) {
    this.#definition = definition;
    this.name = definition.name;
    this.defaultBaseUrl = definition.defaultBaseUrl;
    this.clock = new TransitionClock(options.clock);
    this.random = createRandom(options.seed ?? 1);
    this.#faults = new FaultPlan(createRandom((options.seed ?? 1) ^ 0x5bd1e995));
    this.#latencyMs = options.latencyMs ?? 0;
  }

  /** Answer a request that passed faults; `body` is the request body as text. */
  protected abstract route(request: Request, body: string): Promise<Response>;
  abstract inventory(): InventoryItem[];
  protected abstract resetState(): void;

  get requests(): readonly RequestLogEntry[] {
    return this.#requests;
  }

  serves(pathname: string): boolean {
    return this.#definition.pathPrefixes.some((prefix) => pathname.startsWith(prefix));
  }

  async handle(request: Request): Promise<EmulatorOutcome> {
    const url = new URL(request.url);
    const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    const entry: RequestLogEntry = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: this.#redactHeaders(request.headers),
      at: Date.now(),
    };
    if (body !== '') {
      const contentType = request.headers.get('content-type') ?? '';
      entry.body = contentType.startsWith('text/plain') ? `${REDACTED} (${body.length} characters)` : body;
    }
    this.#requests.push(entry);

    const fault = this.#faults.take(request.method, url.pathname);
    if (fault !== undefined) entry.fault = fault.label ?? describeFault(fault);
    if (this.#latencyMs > 0) await delay(this.#latencyMs);
    const before = fault !== undefined && (fault.phase ?? 'before') === 'before';
    if (before && fault.delayMs !== undefined) await delay(fault.delayMs);
    if (before && fault.drop === true) return { kind: 'drop' };
    if (before && fault.status !== undefined) {
      const response = faultResponse(fault);
      entry.status = response.status;
      return { kind: 'response', response };
    }

    const forwarded = new Request(url, {
      method: request.method,
      headers: request.headers,
      ...(body === '' ? {} : { body }),
    });
    let response = await this.route(forwarded, body);
    entry.apiStatus = response.status;
    if (fault !== undefined && fault.phase === 'after') {
      if (fault.delayMs !== undefined) await delay(fault.delayMs);
      if (fault.drop === true) return { kind: 'drop' };
      if (fault.status !== undefined) response = faultResponse(fault);
    }
    entry.status = response.status;
    return { kind: 'response', response };
  }

  async fetch(request: Request): Promise<Response> {
    const outcome = await this.handle(request);
    return outcome.kind === 'drop' ? Response.error() : outcome.response;
  }

  handlers(baseUrl: string = this.defaultBaseUrl): RequestHandler[] {
    const origin = new URL(baseUrl).origin;
    return [http.all(`${origin}/*`, ({ request }) => this.fetch(request))];
  }

  injectFault(rule: FaultRule): FaultHandle {
    return this.#faults.add(rule);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  clearRequests(): void {
    this.#requests = [];
  }

  requestCount(filter: { method?: string; path?: string | RegExp } = {}): number {
    return this.#requests.filter((entry) => {
      if (filter.method !== undefined && entry.method !== filter.method.toUpperCase()) return false;
      if (filter.path === undefined) return true;
      return filter.path instanceof RegExp
        ? filter.path.test(entry.path)
        : entry.path.startsWith(filter.path);
    }).length;
  }

  leftovers(): Leftovers {
    const items = this.inventory();
    return {
      servers: items.filter((item) => item.kind === 'server'),
      volumes: items.filter((item) => item.kind === 'volume'),
      ips: items.filter((item) => item.kind === 'ip'),
    };
  }

  reset(): void {
    this.clock.clear();
    this.clearFaults();
    this.clearRequests();
    this.resetState();
  }

  #redactHeaders(headers: Headers): Record<string, string> {
    const secret = new Set(this.#definition.secretHeaders.map((name) => name.toLowerCase()));
    const result: Record<string, string> = {};
    headers.forEach((value, name) => {
      result[name] = secret.has(name.toLowerCase()) ? REDACTED : value;
    });
    return result;
  }
}

function describeFault(rule: FaultRule): string {
  if (rule.drop === true) return 'drop';
  if (rule.status !== undefined) return `status ${rule.status}`;
  if (rule.delayMs !== undefined) return `delay ${rule.delayMs} ms`;
  return 'fault';
}

function faultResponse(rule: FaultRule): Response {
  const headers = new Headers(rule.headers);
  let body: string | null = null;
  if (typeof rule.body === 'string') body = rule.body;
  else if (rule.body !== undefined) {
    body = JSON.stringify(rule.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return new Response(body, { status: rule.status ?? 500, headers });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
