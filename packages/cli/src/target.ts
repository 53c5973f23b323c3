import {
  type ClockMode,
  type CloudEmulator,
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  type Leftovers,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import {
  createProvider,
  type Provider,
  type ProviderConfig,
  type ProviderEvent,
  type WaitForVMOptions,
} from '@simple-agent-manager/providers';
import { UsageError } from './usage-error.js';

/** The clouds the CLI drives. */
export const PROVIDER_NAMES = ['scaleway', 'hetzner'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How people call each cloud. */
export const PROVIDER_TITLES: Readonly<Record<ProviderName, string>> = {
  scaleway: 'Scaleway',
  hetzner: 'Hetzner Cloud',
};

/** Where the credentials of each cloud are read from, for messages. Never the values. */
export const CREDENTIAL_SOURCES: Readonly<Record<ProviderName, string>> = {
  scaleway: 'SCW_SECRET_KEY / --secret-key and SCW_DEFAULT_PROJECT_ID / --project-id',
  hetzner: 'HCLOUD_TOKEN / --token',
};

/** The connection flags, as parsed. Flags win over environment variables. */
export interface ConnectionOptions {
  provider: ProviderName;
  secretKey?: string;
  projectId?: string;
  zone?: string;
  apiUrl?: string;
  token?: string;
}

/** How often and how long `waitForVM` polls on a target. */
export type WaitTiming = Required<Pick<WaitForVMOptions, 'intervalMs' | 'maxIntervalMs' | 'timeoutMs'>>;

/**
 * What a command acts on. `emulator`: the embedded loopback emulator, empty at start and discarded when the command
 * ends. `sandbox`: a long-running emulator (`sam-provider sandbox`), see {@link isSandbox}: not billed, so nothing is
 * priced or confirmed. `account`: anything else the credentials name, treated as a real, billed account.
 */
export type TargetKind = 'emulator' | 'sandbox' | 'account';

/** Where the commands go: a provider bound to the embedded emulator, a sandbox or a real account. */
export interface Target {
  readonly provider: Provider;
  readonly providerName: ProviderName;
  readonly kind: TargetKind;
  /** Where requests go, for people. Holds no secret. */
  readonly description: string;
  readonly wait: WaitTiming;
  /** What the embedded emulator still holds; `undefined` for an account. */
  leftovers?: () => Leftovers;
  close(): Promise<void>;
}

export interface OpenTargetOptions {
  connection: ConnectionOptions;
  env: Readonly<Record<string, string | undefined>>;
  /** `always`: the embedded emulator even when credentials are given (the demo without `--live`). */
  use: 'auto' | 'always' | 'account';
  /** The embedded emulator's transitions. Default instant. */
  clock?: ClockMode;
  fetch?: typeof fetch;
  onEvent?: (event: ProviderEvent) => void;
}

/** The account the flags and environment name. */
export type AccountSettings =
  | { provider: 'scaleway'; secretKey: string; projectId: string; zone?: string; apiUrl?: string }
  | { provider: 'hetzner'; apiToken: string; apiUrl?: string };

function setting(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  return env === undefined || env.trim() === '' ? undefined : env;
}

/**
 * The account the flags and environment name, or `undefined` when they name none. Scaleway reads the variables its
 * own CLI and SDKs read; Hetzner reads `HCLOUD_TOKEN` and `HCLOUD_ENDPOINT` like `hcloud`.
 */
export function accountSettings(
  connection: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
): AccountSettings | undefined {
  if (connection.provider === 'hetzner') {
    const misplaced = [
      connection.secretKey === undefined ? undefined : '--secret-key',
      connection.projectId === undefined ? undefined : '--project-id',
      connection.zone === undefined ? undefined : '--zone',
    ].filter((flag) => flag !== undefined);
    if (misplaced.length > 0) {
      throw new UsageError(
        `${misplaced.join(', ')} ${misplaced.length === 1 ? 'applies' : 'apply'} to --provider scaleway; Hetzner takes --token (or HCLOUD_TOKEN)`,
      );
    }
    const token = setting(connection.token, env.HCLOUD_TOKEN);
    const apiUrl = setting(connection.apiUrl, env.HCLOUD_ENDPOINT);
    if (token === undefined) {
      if (connection.apiUrl !== undefined)
        throw new UsageError('--api-url needs a token: set HCLOUD_TOKEN or pass --token');
      return undefined;
    }
    return { provider: 'hetzner', apiToken: token, ...(apiUrl === undefined ? {} : { apiUrl }) };
  }
  if (connection.token !== undefined) {
    throw new UsageError(
      '--token applies to --provider hetzner; Scaleway takes --secret-key and --project-id',
    );
  }
  const secretKey = setting(connection.secretKey, env.SCW_SECRET_KEY);
  const projectId = setting(connection.projectId, env.SCW_DEFAULT_PROJECT_ID);
  const zone = setting(connection.zone, env.SCW_DEFAULT_ZONE);
  const apiUrl = setting(connection.apiUrl, env.SCW_API_URL);
  if (secretKey === undefined) {
    const orphan =
      connection.projectId !== undefined
        ? '--project-id'
        : connection.apiUrl !== undefined
          ? '--api-url'
          : undefined;
    if (orphan !== undefined)
      throw new UsageError(`${orphan} needs a secret key: set SCW_SECRET_KEY or pass --secret-key`);
    return undefined;
  }
  if (projectId === undefined) {
    throw new UsageError(
      'a Scaleway secret key needs a project: set SCW_DEFAULT_PROJECT_ID or pass --project-id',
    );
  }
  return {
    provider: 'scaleway',
    secretKey,
    projectId,
    ...(zone === undefined ? {} : { zone }),
    ...(apiUrl === undefined ? {} : { apiUrl }),
  };
}

/**
 * Which flag or variable each connection setting was read from, to name it in messages (never its value). A
 * setting given neither way names its flag, except `apiUrl`, which is then `undefined` (the public API).
 */
export interface SettingSources {
  secretKey: string;
  projectId: string;
  zone: string;
  token: string;
  apiUrl: string | undefined;
}

export function settingSources(
  connection: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
): SettingSources {
  const source = (flag: string, given: string | undefined, variable: string) =>
    given !== undefined || setting(undefined, env[variable]) === undefined ? flag : variable;
  const apiUrlVariable = connection.provider === 'scaleway' ? 'SCW_API_URL' : 'HCLOUD_ENDPOINT';
  return {
    secretKey: source('--secret-key', connection.secretKey, 'SCW_SECRET_KEY'),
    projectId: source('--project-id', connection.projectId, 'SCW_DEFAULT_PROJECT_ID'),
    zone: source('--zone', connection.zone, 'SCW_DEFAULT_ZONE'),
    token: source('--token', connection.token, 'HCLOUD_TOKEN'),
    apiUrl:
      connection.apiUrl !== undefined
        ? '--api-url'
        : setting(undefined, env[apiUrlVariable]) === undefined
          ? undefined
          : apiUrlVariable,
  };
}

/** Whether `url` points at this machine's loopback interface: a host of 127.0.0.0/8, `::1` or `localhost`. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  // The URL parser has already written any IPv4 form (`127.1`, `0x7f.1`) as four decimal numbers.
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Whether account settings name a sandbox rather than a real account: the API URL is on loopback and the
 * credentials are the emulators' published ones (those `sam-provider sandbox` prints). Both must hold: a real
 * account reached through a local proxy has its own credentials and is still treated as billed.
 */
export function isSandbox(account: AccountSettings): boolean {
  if (account.apiUrl === undefined || !isLoopbackUrl(account.apiUrl)) return false;
  return account.provider === 'scaleway'
    ? account.secretKey === SCALEWAY_EMULATOR_SECRET_KEY && account.projectId === SCALEWAY_EMULATOR_PROJECT_ID
    : account.apiToken === HETZNER_EMULATOR_TOKEN;
}

/**
 * Whether the flags or the environment name a secret key (Scaleway) or a token (Hetzner), complete or not: for
 * saying that they are not used, without parsing them.
 */
export function credentialsGiven(
  connection: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const secret =
    connection.provider === 'scaleway'
      ? setting(connection.secretKey, env.SCW_SECRET_KEY)
      : setting(connection.token, env.HCLOUD_TOKEN);
  return secret !== undefined;
}

/**
 * A provider for reading the size and location tables only. It is never asked to send a request, so it needs no
 * target: no credentials are read and no emulator is started; the placeholders only satisfy the config's shape.
 */
export function catalogProvider(provider: ProviderName): Provider {
  return createProvider(
    provider === 'scaleway'
      ? { provider, secretKey: SCALEWAY_EMULATOR_SECRET_KEY, projectId: SCALEWAY_EMULATOR_PROJECT_ID }
      : { provider, apiToken: HETZNER_EMULATOR_TOKEN },
  );
}

function emulatorWait(clock: ClockMode): WaitTiming {
  const speed = clock.mode === 'realtime' ? (clock.speed ?? 1) : 1_000;
  return {
    intervalMs: Math.max(10, Math.round(200 / speed)),
    maxIntervalMs: Math.max(20, Math.round(500 / speed)),
    timeoutMs: 60_000,
  };
}

const ACCOUNT_WAIT: WaitTiming = { intervalMs: 2_000, maxIntervalMs: 10_000, timeoutMs: 600_000 };

/**
 * Open the target of one command. With `use: 'auto'` that is the account the flags or environment name, or else an
 * embedded emulator of the chosen cloud on 127.0.0.1, started here and stopped by `close`.
 */
export async function openTarget(options: OpenTargetOptions): Promise<Target> {
  const { connection } = options;
  const account = accountSettings(connection, options.env);
  const common = {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  };
  const title = PROVIDER_TITLES[connection.provider];

  if (options.use === 'account' && account === undefined) {
    throw new UsageError(`no ${title} credentials: set ${CREDENTIAL_SOURCES[connection.provider]}`);
  }
  if (options.use !== 'always' && account !== undefined) {
    const provider = createProvider({ ...account, ...common });
    const where = account.apiUrl ?? 'the public API';
    const sandbox = isSandbox(account);
    return {
      provider,
      providerName: connection.provider,
      kind: sandbox ? 'sandbox' : 'account',
      description: sandbox
        ? `the ${title} sandbox on ${where}`
        : account.provider === 'scaleway'
          ? `your Scaleway account, project ${account.projectId} (${where})`
          : `your Hetzner Cloud project (${where})`,
      // A sandbox keeps realistic delays by default (`--speed 1`).
      wait: sandbox ? emulatorWait({ mode: 'realtime', speed: 1 }) : ACCOUNT_WAIT,
      close: async () => {},
    };
  }

  const clock = options.clock ?? { mode: 'instant' };
  const emulator: CloudEmulator =
    connection.provider === 'scaleway' ? new ScalewayEmulator({ clock }) : new HetznerEmulator({ clock });
  const server = await startEmulatorServer(emulator);
  const wait = emulatorWait(clock);
  const zone = setting(connection.zone, options.env.SCW_DEFAULT_ZONE);
  const config: ProviderConfig =
    connection.provider === 'scaleway'
      ? {
          provider: 'scaleway',
          secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
          projectId: SCALEWAY_EMULATOR_PROJECT_ID,
          apiUrl: server.url,
          pollIntervalMs: wait.intervalMs,
          ...(zone === undefined ? {} : { zone }),
          ...common,
        }
      : { provider: 'hetzner', apiToken: HETZNER_EMULATOR_TOKEN, apiUrl: `${server.url}/v1`, ...common };
  let provider: Provider;
  try {
    provider = createProvider(config);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    provider,
    providerName: connection.provider,
    kind: 'emulator',
    description: `the embedded ${title} emulator on ${server.url}`,
    wait,
    leftovers: () => emulator.leftovers(),
    close: async () => {
      emulator.clock.clear();
      await server.close();
    },
  };
}
