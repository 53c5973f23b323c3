/**
 * The client work whose CPU time `client-cpu.ts` measures, one definition for both runtimes: imported by the Node
 * child (`client-cpu-node.ts`) and bundled into the Worker (`client-cpu-worker.ts`). Web-standard APIs only, so the
 * bundle runs inside workerd without `nodejs_compat`. Each call runs `n` iterations one after another; the caller
 * times the call from outside (inside workerd the clocks do not advance while code runs).
 */
import { createProvider, type Provider, SCALEWAY_ZONE_IDS, type VMInstance } from '../src/index.js';
import { mapScalewayServer } from '../src/scaleway-mappers.js';
import { scalewayServerListSchema } from '../src/scaleway-schemas.js';

export const CLIENT_CPU_OPERATIONS = [
  'noop',
  'page',
  'page:json',
  'page:schema',
  'page:map',
  'getVM',
  'getVM:raw',
  'listVMs',
  'listVMs:raw',
  'createVM',
  'deleteVM',
] as const;
export type ClientCpuOperation = (typeof CLIENT_CPU_OPERATIONS)[number];

export interface ClientCpuInput {
  operation: ClientCpuOperation;
  /** Iterations, run one after another. */
  n: number;
  apiUrl: string;
  secretKey: string;
  projectId: string;
  /** `page*`: the body of one 100-server list page, as the API sends it. */
  pageText?: string;
  /** `getVM`: a zonal id (`{zone}/{uuid}`). `deleteVM`: one running server per iteration. */
  ids?: string[];
  /** `listVMs`: how many servers the listing must find. */
  expect?: number;
  /** `createVM`: names are `{prefix}-{iteration}`. */
  prefix?: string;
}

export interface ClientCpuAnswer {
  operation: ClientCpuOperation;
  n: number;
  /** A value derived from every iteration's result, so that no work can be optimised away. */
  check: number;
}

/** One provider per API URL for the life of the process or isolate (the image cache stays warm across calls). */
const providers = new Map<string, Provider>();
function providerFor(input: ClientCpuInput): Provider {
  let provider = providers.get(input.apiUrl);
  if (provider === undefined) {
    provider = createProvider({
      provider: 'scaleway',
      secretKey: input.secretKey,
      projectId: input.projectId,
      apiUrl: input.apiUrl,
    });
    providers.set(input.apiUrl, provider);
  }
  return provider;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new RangeError(`this operation needs ${what}`);
  return value;
}

const mapPage = (servers: readonly Parameters<typeof mapScalewayServer>[0][]): VMInstance[] =>
  servers.map((server) => mapScalewayServer(server, 'fr-par-1'));

async function rawGet(url: string, secretKey: string): Promise<string> {
  const response = await fetch(url, { headers: { Accept: 'application/json', 'X-Auth-Token': secretKey } });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return text;
}

export async function runClientCpuOperation(input: ClientCpuInput): Promise<ClientCpuAnswer> {
  const { operation, n } = input;
  let check = 0;
  switch (operation) {
    case 'noop':
      for (let index = 0; index < n; index++) check += (await Promise.resolve(index)) & 1;
      break;
    case 'page': {
      const text = need(input.pageText, 'pageText');
      for (let index = 0; index < n; index++) {
        check += mapPage(scalewayServerListSchema.parse(JSON.parse(text)).servers).length;
      }
      break;
    }
    case 'page:json': {
      const text = need(input.pageText, 'pageText');
      for (let index = 0; index < n; index++)
        check += (JSON.parse(text) as { servers: unknown[] }).servers.length;
      break;
    }
    case 'page:schema': {
      const body: unknown = JSON.parse(need(input.pageText, 'pageText'));
      for (let index = 0; index < n; index++) check += scalewayServerListSchema.parse(body).servers.length;
      break;
    }
    case 'page:map': {
      const { servers } = scalewayServerListSchema.parse(JSON.parse(need(input.pageText, 'pageText')));
      for (let index = 0; index < n; index++) check += mapPage(servers).length;
      break;
    }
    case 'getVM': {
      const [id] = need(input.ids, 'ids');
      const provider = providerFor(input);
      for (let index = 0; index < n; index++) {
        check += (await provider.getVM(need(id, 'one id')))?.name.length ?? 0;
      }
      break;
    }
    case 'getVM:raw': {
      // The same request with no provider: fetch and read the body, no validation or mapping.
      const [zone, uuid] = need(need(input.ids, 'ids')[0], 'one id').split('/');
      const url = `${input.apiUrl}/instance/v1/zones/${zone}/servers/${uuid}`;
      for (let index = 0; index < n; index++) check += (await rawGet(url, input.secretKey)).length;
      break;
    }
    case 'listVMs:raw': {
      // The pages listVMs reads (one per zone, every zone at once), fetched and read, no validation or mapping.
      const urls = SCALEWAY_ZONE_IDS.map(
        (zone) =>
          `${input.apiUrl}/instance/v1/zones/${zone}/servers?project=${input.projectId}&page=1&per_page=100`,
      );
      for (let index = 0; index < n; index++) {
        const pages = await Promise.all(urls.map((url) => rawGet(url, input.secretKey)));
        check += pages.reduce((total, page) => total + page.length, 0);
      }
      break;
    }
    case 'listVMs': {
      const provider = providerFor(input);
      for (let index = 0; index < n; index++) {
        const listed = await provider.listVMs();
        if (listed.length !== input.expect) throw new Error(`listed ${listed.length} of ${input.expect}`);
        check += listed.length;
      }
      break;
    }
    case 'createVM': {
      const provider = providerFor(input);
      const prefix = need(input.prefix, 'prefix');
      for (let index = 0; index < n; index++) {
        const vm = await provider.createVM({
          name: `${prefix}-${index}`,
          size: 'small',
          location: 'fr-par-1',
          userData: '#cloud-config\n',
          labels: { bench: 'yes' },
        });
        check += vm.id.length;
      }
      break;
    }
    case 'deleteVM': {
      const provider = providerFor(input);
      const ids = need(input.ids, 'ids');
      if (ids.length < n) throw new RangeError(`${n} deletes need ${n} servers, not ${ids.length}`);
      for (let index = 0; index < n; index++) {
        await provider.deleteVM(ids[index] as string);
        check++;
      }
      break;
    }
  }
  return { operation, n, check };
}
