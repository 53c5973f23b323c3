import type { ProviderError } from '@simple-agent-manager/providers';
import { CREDENTIAL_SOURCES, type ProviderName, type SettingSources, type TargetKind } from './target.js';
import { UsageError } from './usage-error.js';

/** What a hint depends on besides the error: the command that failed, what it ran on, where settings came from. */
export interface HintContext {
  provider: ProviderName;
  /** The command as typed, e.g. `create`, `volume list`. */
  command: string;
  /** What the command acts on, once it is known. */
  target?: TargetKind | undefined;
  sources: SettingSources;
}

/** `sam-provider …` as the user types it for `provider`. */
export function commandLine(provider: ProviderName, args: string): string {
  return `sam-provider${provider === 'scaleway' ? '' : ` --provider ${provider}`} ${args}`;
}

/** The base URL `--api-url` takes, for each cloud. */
const API_BASE_URLS: Readonly<Record<ProviderName, string>> = {
  scaleway: 'https://api.scaleway.com',
  hetzner: 'https://api.hetzner.cloud/v1',
};

/** The commands whose requests only read collections or the account: a 404 there is never a missing resource. */
const COLLECTION_COMMANDS = new Set(['validate', 'list', 'volume list']);

const EMPTY_EMULATOR =
  'the embedded emulator starts empty for every command, so nothing an earlier command created is in it; `sam-provider sandbox` keeps state across commands';

/** Whether an error is about a block volume rather than a VM (the library's volume messages start so). */
function aboutVolume(error: ProviderError): boolean {
  return /^volume /i.test(error.message);
}

/** Whether the provider's refusal is about the image (Scaleway `instance_image`, Hetzner `image not found`). */
function aboutImage(error: ProviderError): boolean {
  return /\bimage\b|instance_image/i.test(error.message);
}

function imageHint(provider: ProviderName): string {
  return provider === 'scaleway'
    ? 'no such image in that zone: check --image (a Marketplace label such as ubuntu_noble, or an image UUID of that zone)'
    : 'no such image: check --image (an image name such as docker-ce or ubuntu-24.04, or an image id)';
}

/** For a 404 where the path always exists: the base URL is wrong, no resource is missing. */
function apiUrlHint(context: HintContext): string {
  return `check ${context.sources.apiUrl ?? '--api-url'}: it must be the API's base URL, e.g. ${API_BASE_URLS[context.provider]}`;
}

function notFoundHint(error: ProviderError, context: HintContext): string | undefined {
  const { provider, command, target, sources } = context;
  // What the emulators' server (the embedded emulator, a sandbox) answers for a path no emulated API serves.
  if (/no emulated API at this path/.test(error.message)) return apiUrlHint(context);
  if (command === 'create' && aboutImage(error)) return imageHint(provider);
  if (command === 'validate' && provider === 'scaleway') {
    // Scaleway's validation reads the project: a 404 is a project the key cannot see, or a wrong base URL.
    const project = `check ${sources.projectId}: the key cannot see that project`;
    return sources.apiUrl === undefined ? project : `${project}; or ${apiUrlHint(context)}`;
  }
  if (sources.apiUrl !== undefined && COLLECTION_COMMANDS.has(command)) return apiUrlHint(context);
  if (command === 'validate') return undefined;
  const missingOk =
    command === 'delete' || command === 'volume delete' ? '; --missing-ok accepts ids that do not exist' : '';
  if (target === 'emulator') return `${EMPTY_EMULATOR}${missingOk}`;
  const listing = aboutVolume(error)
    ? `\`${commandLine(provider, 'volume list --location <location>')}\` shows the volumes that exist`
    : `\`${commandLine(provider, 'list')}\` shows the VMs that exist`;
  return `${listing}${missingOk}`;
}

/** What the user can do about `error`, for the error line (`undefined` when there is nothing to add). */
export function errorHint(error: ProviderError, context: HintContext): string | undefined {
  const { provider, command, target, sources } = context;
  switch (error.category) {
    case 'auth':
      return `check ${CREDENTIAL_SOURCES[provider]}`;
    case 'permission':
      return 'the credentials are valid but not allowed to do this; check their permissions';
    case 'not_found':
      return notFoundHint(error, context);
    case 'invalid_input':
      return inputHint(error, context);
    case 'invalid_request':
      if (command === 'create' && aboutImage(error)) return imageHint(provider);
      return 'the provider refused the request as sent';
    case 'conflict':
      if (error.code === 'uniqueness_error') {
        return `that name is taken: choose another ${command.startsWith('volume') ? '--name for the volume' : '--name'}`;
      }
      return aboutVolume(error)
        ? `check the volume with \`${commandLine(provider, 'volume get <id> --location <location>')}\``
        : 'the VM is not in a state that allows this; wait and try again';
    case 'quota':
      return 'an account limit was reached; delete VMs or ask the provider to raise the limit';
    case 'capacity':
      return 'the provider has no capacity for this now; try another location or size';
    case 'rate_limited':
      return 'too many requests; wait and try again';
    case 'unavailable':
      return 'the provider is failing; try again later';
    case 'network':
      if (target === 'sandbox') return 'is `sam-provider sandbox` still running there?';
      return sources.apiUrl === undefined
        ? 'the provider could not be reached; check the connection'
        : `the provider could not be reached; check the connection and ${sources.apiUrl}`;
    case 'timeout':
      return target === 'emulator'
        ? 'no answer in time'
        : `no answer in time; the operation may still complete, check with \`${commandLine(provider, 'list')}\``;
    case 'invalid_response':
      return 'the provider answered with something unexpected';
    case 'unknown':
      return undefined;
    default: {
      const unknown: never = error.category;
      return String(unknown);
    }
  }
}

/**
 * The flag, argument or variable the person typed for the input field an `invalid_input` error names
 * (`vm.location`, `config.zone`, `volume.volumeId`, …), or `undefined` for a field no option sets.
 */
function inputSource(field: string, context: HintContext): string | undefined {
  const [scope, name = ''] = field.split('.');
  if (field === 'id') return 'the VM id';
  if (scope === 'labels' || name === 'labels') return '--label';
  const { sources } = context;
  const sourceOf: Record<string, string | undefined> = {
    name: '--name',
    size: '--size',
    sizeGb: '--size-gb',
    serverId: '--vm',
    volumeId: 'the volume id',
    location: '--location',
    userData: '--user-data',
    image: '--image',
    zone: sources.zone,
    apiUrl: sources.apiUrl ?? '--api-url',
    secretKey: sources.secretKey,
    projectId: sources.projectId,
    apiToken: sources.token,
    token: sources.token,
  };
  return Object.hasOwn(sourceOf, name) ? sourceOf[name] : undefined;
}

function inputHint(error: ProviderError, context: HintContext): string | undefined {
  if (error.field === 'vm.size' && error.message.includes('not offered')) {
    return 'choose another --size or --location (see `sam-provider sizes`)';
  }
  const source = error.field === undefined ? undefined : inputSource(error.field, context);
  if (source === '--label') return 'fix --label (key=value)';
  return source === undefined ? undefined : `fix ${source}`;
}

/**
 * The library refused an input before sending anything (`invalid_input`, naming the field): the person typed it,
 * so it is a usage error (exit code 2), with the library's own message and the flag or variable to fix.
 */
/**
 * An image the provider says it does not have (`create --image`): what the person typed is wrong, so a usage error
 * (exit 2) naming `--image`; `undefined` for any other failure.
 */
export function imageUsageError(error: ProviderError, context: HintContext): UsageError | undefined {
  if (context.command !== 'create' || !aboutImage(error)) return undefined;
  if (error.category !== 'not_found' && error.category !== 'invalid_request') return undefined;
  return new UsageError(`${error.message} (${imageHint(context.provider)})`);
}

export function inputUsageError(error: ProviderError, context: HintContext): UsageError {
  const advice = inputHint(error, context);
  return new UsageError(`${error.message}${advice === undefined ? '' : ` (${advice})`}`);
}
