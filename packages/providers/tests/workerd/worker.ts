/**
 * A Cloudflare Worker that drives the providers package from inside workerd, as SAM's control plane does: one
 * provider per cloud at module scope, shared by every request the isolate serves. `harness.ts` bundles it with
 * esbuild and `workerd.test.ts` calls its routes; every answer is JSON, errors included (serialised, so the test can
 * tell a `ProviderError` from a `TypeError`).
 */
import {
  createProvider,
  isProviderError,
  type Provider,
  type ProviderConfig,
  ProviderError,
  type ProviderEvent,
  type VMInstance,
  waitForVM,
} from '../../src/index.js';

/** The text bindings the harness gives the Worker. */
export interface WorkerEnv {
  SCALEWAY_API_URL: string;
  SCALEWAY_SECRET_KEY: string;
  SCALEWAY_PROJECT_ID: string;
  HETZNER_API_URL: string;
  HETZNER_TOKEN: string;
  /** `http://127.0.0.1:<port>` with nothing listening: a refused connection. */
  CLOSED_URL: string;
}

/** The part of workerd's `ExecutionContext` this Worker uses. */
interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Cloud = 'scaleway' | 'hetzner';

/** An error as the test sees it. */
export interface SerialisedError {
  /** `error.constructor.name`: `ProviderError`, or what leaked (`TypeError`, `ReferenceError`…). */
  constructorName: string;
  name: string;
  message: string;
  instanceOfProviderError: boolean;
  isProviderError: boolean;
  category?: string;
  retryable?: boolean;
  statusCode?: number;
  providerName?: string;
  providerCode?: string;
  cleanupErrors?: number;
}

/** One step of a lifecycle: its result or error, its duration and the requests the provider sent for it. */
export interface StepReport {
  step: string;
  ok: boolean;
  ms: number;
  /** `request` events the provider emitted during the step (retries included). */
  requests: number;
  result?: unknown;
  error?: SerialisedError;
}

export interface LifecycleReport {
  ok: boolean;
  provider: Cloud;
  location: string;
  ids: string[];
  steps: StepReport[];
}

export interface CreateReport {
  /** `created`: a VM came back; `aborted`: the caller's signal fired first; `failed`: createVM rejected. */
  outcome: 'created' | 'aborted' | 'failed';
  vm?: VMSummary;
  error?: SerialisedError;
  /** For `aborted`: how createVM had settled one timer tick after the abort (`pending` if not yet). */
  afterAbort?: 'pending' | 'rejected with the caller reason' | 'rejected otherwise' | 'resolved';
}

export interface ErrorCase {
  error?: SerialisedError;
  /** The call resolved instead of rejecting (a failure of the case). */
  resolved?: unknown;
  /** For abort cases: the rejection is `===` the reason given to `abort()`. */
  sameReason?: boolean;
  ms: number;
}

export interface VMSummary {
  id: string;
  name: string;
  status: string;
  ip: string;
  location: string;
  labels: Record<string, string>;
}

const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 } as const;

/** Every event of every provider this isolate built goes to the listeners registered at the time. */
const listeners = new Set<(event: ProviderEvent) => void>();
const onEvent = (event: ProviderEvent): void => {
  for (const listener of listeners) listener(event);
};

function providerConfig(
  cloud: Cloud,
  env: WorkerEnv,
  overrides: { apiUrl?: string; timeoutMs?: number; maxRetries?: number } = {},
): ProviderConfig {
  const retry = {
    ...FAST_RETRY,
    ...(overrides.maxRetries === undefined ? {} : { maxRetries: overrides.maxRetries }),
  };
  const common = { timeoutMs: overrides.timeoutMs ?? 5_000, retry, onEvent };
  if (cloud === 'scaleway') {
    return {
      provider: 'scaleway',
      secretKey: env.SCALEWAY_SECRET_KEY,
      projectId: env.SCALEWAY_PROJECT_ID,
      apiUrl: overrides.apiUrl ?? env.SCALEWAY_API_URL,
      pollIntervalMs: 10,
      waitTimeoutMs: 15_000,
      ...common,
    };
  }
  return {
    provider: 'hetzner',
    apiToken: env.HETZNER_TOKEN,
    apiUrl: overrides.apiUrl ?? env.HETZNER_API_URL,
    capacityRetryInitialDelayMs: 1,
    capacityRetryMaxDelayMs: 5,
    capacityRetryMaxAttempts: 2,
    placementRetryDelayMs: 1,
    ...common,
  };
}

/** One provider per cloud for the life of the isolate, built on first use (bindings only exist in a request). */
const shared = new Map<Cloud, Provider>();
function sharedProvider(cloud: Cloud, env: WorkerEnv): Provider {
  let provider = shared.get(cloud);
  if (provider === undefined) {
    provider = createProvider(providerConfig(cloud, env));
    shared.set(cloud, provider);
  }
  return provider;
}

export function serialiseError(error: unknown): SerialisedError {
  if (!(error instanceof Error)) {
    return {
      constructorName: error === null ? 'null' : typeof error,
      name: typeof error,
      message: String(error),
      instanceOfProviderError: false,
      isProviderError: false,
    };
  }
  const serialised: SerialisedError = {
    constructorName: error.constructor.name,
    name: error.name,
    message: error.message,
    instanceOfProviderError: error instanceof ProviderError,
    isProviderError: isProviderError(error),
  };
  if (error instanceof ProviderError) {
    serialised.category = error.category;
    serialised.retryable = error.retryable;
    serialised.providerName = error.providerName;
    serialised.cleanupErrors = error.cleanupErrors.length;
    if (error.statusCode !== undefined) serialised.statusCode = error.statusCode;
    if (error.providerCode !== undefined) serialised.providerCode = error.providerCode;
  }
  return serialised;
}

function summarise(vm: VMInstance): VMSummary {
  return { id: vm.id, name: vm.name, status: vm.status, ip: vm.ip, location: vm.location, labels: vm.labels };
}

function cloudOf(url: URL): Cloud {
  const cloud = url.searchParams.get('provider');
  if (cloud === 'scaleway' || cloud === 'hetzner') return cloud;
  throw new RangeError(`provider must be scaleway or hetzner, not ${String(cloud)}`);
}

const WAIT = { intervalMs: 10, maxIntervalMs: 50, timeoutMs: 15_000 } as const;

/** validateToken → createVM → running → listVMs by label → powerOff → off → powerOn → running → deleteVM → deleted. */
async function lifecycle(cloud: Cloud, env: WorkerEnv, url: URL): Promise<LifecycleReport> {
  const provider = sharedProvider(cloud, env);
  const location = url.searchParams.get('location') ?? provider.defaultLocation;
  const run = url.searchParams.get('run') ?? crypto.randomUUID().slice(0, 8);
  const report: LifecycleReport = { ok: true, provider: cloud, location, ids: [], steps: [] };
  const step = async <T>(name: string, action: () => Promise<T>, show: (value: T) => unknown): Promise<T> => {
    let requests = 0;
    const count = (event: ProviderEvent) => {
      if (event.type === 'request') requests++;
    };
    listeners.add(count);
    const started = Date.now();
    try {
      const value = await action();
      report.steps.push({ step: name, ok: true, ms: Date.now() - started, requests, result: show(value) });
      return value;
    } catch (error) {
      report.steps.push({
        step: name,
        ok: false,
        ms: Date.now() - started,
        requests,
        error: serialiseError(error),
      });
      throw error;
    } finally {
      listeners.delete(count);
    }
  };
  const status = (vm: VMInstance | null) => (vm === null ? null : { status: vm.status, ip: vm.ip });
  let id: string | undefined;
  try {
    await step(
      'validateToken',
      () => provider.validateToken(),
      (valid) => valid,
    );
    const vm = await step(
      'createVM',
      () =>
        provider.createVM({
          name: `wd-life-${run}`,
          size: 'small',
          location,
          userData: '#cloud-config\nruncmd: [echo hello]\n',
          labels: { suite: 'workerd', run },
        }),
      summarise,
    );
    id = vm.id;
    report.ids.push(vm.id);
    await step('waitForVM running', () => waitForVM(provider, vm.id, { until: 'running', ...WAIT }), status);
    await step(
      'listVMs by label',
      () => provider.listVMs({ run }),
      (vms) => vms.map((listed) => listed.id),
    );
    await step(
      'powerOff',
      () => provider.powerOff(vm.id),
      () => null,
    );
    await step('waitForVM off', () => waitForVM(provider, vm.id, { until: 'off', ...WAIT }), status);
    await step(
      'powerOn',
      () => provider.powerOn(vm.id),
      () => null,
    );
    await step(
      'waitForVM running again',
      () => waitForVM(provider, vm.id, { until: 'running', ...WAIT }),
      status,
    );
    await step(
      'deleteVM',
      () => provider.deleteVM(vm.id),
      () => null,
    );
    id = undefined;
    await step('waitForVM deleted', () => waitForVM(provider, vm.id, { until: 'deleted', ...WAIT }), status);
  } catch {
    report.ok = false;
    if (id !== undefined) await provider.deleteVM(id).catch(() => undefined);
  }
  return report;
}

function vmConfig(url: URL, provider: Provider) {
  const run = url.searchParams.get('run') ?? 'create';
  return {
    name: url.searchParams.get('name') ?? `wd-${run}-${crypto.randomUUID().slice(0, 8)}`,
    size: 'small' as const,
    location: url.searchParams.get('location') ?? provider.defaultLocation,
    userData: '#cloud-config\n',
    labels: { suite: 'workerd', run },
  };
}

/** How each tagged create with an abort finally settled, for `GET /settled?tag=` (the isolate outlives requests). */
const settledLate = new Map<string, NonNullable<CreateReport['afterAbort']>>();

/**
 * One createVM on the shared provider. With `abortAfterMs`, its signal fires after that long and the request
 * answers at once, without waiting for what the create still has in flight: the request ends mid-call, as a
 * control-plane request whose client went away does.
 */
async function create(cloud: Cloud, env: WorkerEnv, url: URL, ctx: WorkerContext): Promise<CreateReport> {
  const provider = sharedProvider(cloud, env);
  const config = vmConfig(url, provider);
  const abortAfter = url.searchParams.get('abortAfterMs');
  if (abortAfter === null) {
    try {
      return { outcome: 'created', vm: summarise(await provider.createVM(config)) };
    } catch (error) {
      return { outcome: 'failed', error: serialiseError(error) };
    }
  }
  const controller = new AbortController();
  const reason = new Error(`the caller gave up after ${abortAfter} ms`);
  const created = provider.createVM(config, { signal: controller.signal });
  let settled: CreateReport['afterAbort'] = 'pending';
  const tag = url.searchParams.get('tag');
  const outcome = created.then(
    (vm): CreateReport => {
      settled = 'resolved';
      return { outcome: 'created', vm: summarise(vm) };
    },
    (error: unknown): CreateReport => {
      settled = error === reason ? 'rejected with the caller reason' : 'rejected otherwise';
      return error === reason ? { outcome: 'aborted' } : { outcome: 'failed', error: serialiseError(error) };
    },
  );
  if (tag !== null) {
    settledLate.set(tag, 'pending');
    void outcome.then(() => settledLate.set(tag, settled ?? 'pending'));
  }
  const fired = new Promise<CreateReport>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve({ outcome: 'aborted' }), { once: true });
  });
  // `waitUntil=1`: the request answers as soon as the abort fires, but the isolate lets the create finish (its
  // cleanup included) afterwards, as a Worker that wants the cleanup must ask.
  if (url.searchParams.get('waitUntil') === '1') ctx.waitUntil(outcome);
  setTimeout(() => controller.abort(reason), Number(abortAfter));
  const first = await Promise.race([outcome, fired]);
  if (first.outcome !== 'aborted') return first;
  // One timer tick: enough for a create honouring its signal to reject, far too little for a lookup to finish.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { outcome: 'aborted', afterAbort: settled };
}

async function remove(
  cloud: Cloud,
  env: WorkerEnv,
  url: URL,
): Promise<{ deleted: string[]; error?: SerialisedError }> {
  const provider = sharedProvider(cloud, env);
  const ids = url.searchParams.getAll('id');
  try {
    await Promise.all(ids.map((id) => provider.deleteVM(id)));
    await Promise.all(ids.map((id) => waitForVM(provider, id, { until: 'deleted', ...WAIT })));
    return { deleted: ids };
  } catch (error) {
    return { deleted: [], error: serialiseError(error) };
  }
}

async function list(
  cloud: Cloud,
  env: WorkerEnv,
  url: URL,
): Promise<{ ids?: string[]; error?: SerialisedError }> {
  const labels = Object.fromEntries(
    url.searchParams.getAll('label').map((pair) => pair.split('=', 2) as [string, string]),
  );
  try {
    return { ids: (await sharedProvider(cloud, env).listVMs(labels)).map((vm) => vm.id) };
  } catch (error) {
    return { error: serialiseError(error) };
  }
}

async function errorCase(run: () => Promise<unknown>, reason?: unknown): Promise<ErrorCase> {
  const started = Date.now();
  try {
    const value = await run();
    return { resolved: value ?? null, ms: Date.now() - started };
  } catch (error) {
    const result: ErrorCase = { error: serialiseError(error), ms: Date.now() - started };
    if (reason !== undefined) result.sameReason = error === reason;
    return result;
  }
}

/**
 * The failure paths, each on a provider of its own: `timeout` (100 ms against an endpoint the test delays),
 * `refused` (nothing listening), `callerAbort` (the signal fires mid-request), `preAborted` (fired before the call),
 * `invalidInput` (user data over the limit, refused before any request).
 */
async function errors(cloud: Cloud, env: WorkerEnv): Promise<Record<string, ErrorCase>> {
  const closedUrl = cloud === 'hetzner' ? `${env.CLOSED_URL}/v1` : env.CLOSED_URL;
  const timeoutProvider = createProvider(providerConfig(cloud, env, { timeoutMs: 100, maxRetries: 0 }));
  const refusedProvider = createProvider(providerConfig(cloud, env, { apiUrl: closedUrl, maxRetries: 1 }));
  const abortProvider = createProvider(providerConfig(cloud, env));
  const controller = new AbortController();
  const abortReason = new Error('the caller gave up');
  const preReason = { reason: 'a plain object, not an Error' };
  const [timeout, refused, callerAbort] = await Promise.all([
    errorCase(() => timeoutProvider.validateToken()),
    errorCase(() => refusedProvider.validateToken()),
    errorCase(() => {
      setTimeout(() => controller.abort(abortReason), 30);
      return abortProvider.validateToken({ signal: controller.signal });
    }, abortReason),
  ]);
  const preAborted = await errorCase(
    () => sharedProvider(cloud, env).listVMs({}, { signal: AbortSignal.abort(preReason) }),
    preReason,
  );
  // Hetzner counts bytes (32 KiB: 17 000 two-byte characters are too many), Scaleway characters (127 998).
  const userData = cloud === 'hetzner' ? 'é'.repeat(17_000) : 'x'.repeat(128_000);
  const invalidInput = await errorCase(() =>
    sharedProvider(cloud, env).createVM({
      name: 'wd-invalid',
      size: 'small',
      location: sharedProvider(cloud, env).defaultLocation,
      userData,
    }),
  );
  return { timeout, refused, callerAbort, preAborted, invalidInput };
}

async function route(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<unknown> {
  const url = new URL(request.url);
  switch (`${request.method} ${url.pathname}`) {
    case 'GET /health':
      return { ok: true };
    case 'POST /lifecycle':
      return lifecycle(cloudOf(url), env, url);
    case 'POST /create':
      return create(cloudOf(url), env, url, ctx);
    case 'POST /delete':
      return remove(cloudOf(url), env, url);
    case 'GET /list':
      return list(cloudOf(url), env, url);
    case 'GET /settled':
      return { settled: settledLate.get(url.searchParams.get('tag') ?? '') ?? 'unknown tag' };
    case 'POST /errors':
      return errors(cloudOf(url), env);
    default:
      throw new RangeError(`no route ${request.method} ${url.pathname}`);
  }
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
    try {
      return Response.json(await route(request, env, ctx));
    } catch (error) {
      // A route that throws is a failure of the Worker itself: answer 500 with what was thrown.
      return Response.json({ thrown: serialiseError(error) }, { status: 500 });
    }
  },
};
