import { readFileSync } from 'node:fs';
import { isProviderError } from '@simple-agent-manager/providers';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import picocolors from 'picocolors';
import { type CliIo, processIo } from './cli-io.js';
import {
  type CommandContext,
  type CreateOptions,
  createCommand,
  getCommand,
  listCommand,
  locationsCommand,
  powerCommand,
  SIZES,
  sizesCommand,
  validateCommand,
} from './commands.js';
import { deleteCommand } from './delete-command.js';
import { runDemo } from './demo.js';
import { type HintContext, imageUsageError, inputUsageError } from './error-hints.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { leftoversCommand } from './leftovers-command.js';
import { colorsEnabled, describeError, Output } from './output.js';
import { parseHost, parsePort, parseSandboxSpeed, sandboxCommand } from './sandbox.js';
import { type ConnectionOptions, PROVIDER_NAMES, type ProviderName, settingSources } from './target.js';
import { safeUsageMessage, UsageError } from './usage-error.js';
import {
  type VolumeCreateOptions,
  volumeAttachCommand,
  volumeCreateCommand,
  volumeDeleteCommand,
  volumeDetachCommand,
  volumeGetCommand,
  volumeListCommand,
  volumeResizeCommand,
} from './volume-commands.js';

/** The options every command accepts, as commander parses them. */
type GlobalOptions = {
  provider: ProviderName;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  yes?: boolean;
  secretKey?: string;
  projectId?: string;
  zone?: string;
  apiUrl?: string;
  token?: string;
};

/** Where a command's exit code is left for {@link run}. */
export interface RunState {
  exitCode: number;
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const HELP_FOOTER = `
Target:
  Without credentials every command runs against an embedded emulator of the chosen cloud on 127.0.0.1,
  started for that command alone: it starts empty and is discarded when the command ends.
  \`sam-provider sandbox\` runs both emulators until Ctrl-C and prints the variables that point later
  commands at it: they then share its state, and nothing is priced or asked.
  With credentials (flags or environment) commands act on your real account; create, power-off, power-on,
  delete and the volume commands that change something then ask for confirmation on a terminal, and need
  --yes otherwise.

Environment:
  SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID, SCW_DEFAULT_ZONE, SCW_API_URL   (Scaleway)
  HCLOUD_TOKEN, HCLOUD_ENDPOINT                                           (Hetzner)

Exit codes:
  0 success   1 failure (the provider or a check failed, a VM or volume not found)
  2 usage error (bad flag or variable value, malformed id, missing argument)
  130 interrupted (Ctrl-C): the demo deleted the VMs and the volume it created first; press Ctrl-C twice to exit at once
`;

function parseLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError('Expected key=value.');
  const key = value.slice(0, separator);
  // A label has one value: a second one for the same key is a mistake, not a choice of the later one.
  if (Object.hasOwn(previous, key)) {
    throw new InvalidArgumentError(`Label key ${JSON.stringify(key)} is given twice; give each key once.`);
  }
  return { ...previous, [key]: value.slice(separator + 1) };
}

function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000) {
    throw new InvalidArgumentError('Expected a number above 0 (1 = realistic delays).');
  }
  return speed;
}

/**
 * `--size-gb`: a number of GB written in plain digits (`0x10`, `1e1` and ` 10` are refused: what is typed is what is
 * created); whether it is a whole number the provider takes is the library's to say.
 */
function parseSizeGb(value: string): number {
  if (!/^\d{1,9}(\.\d+)?$/.test(value)) throw new InvalidArgumentError('Expected a number of GB, in digits.');
  return Number(value);
}

const LOCATION_HELP =
  "location id (default: the provider's default location: --zone on Scaleway, fsn1 on Hetzner)";

function connectionOf(options: GlobalOptions): ConnectionOptions {
  const { provider, secretKey, projectId, zone, apiUrl, token } = options;
  return {
    provider,
    ...(secretKey === undefined ? {} : { secretKey }),
    ...(projectId === undefined ? {} : { projectId }),
    ...(zone === undefined ? {} : { zone }),
    ...(apiUrl === undefined ? {} : { apiUrl }),
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * The `sam-provider` program, writing to `io` instead of the process's streams. Parse errors throw a
 * `CommanderError` (`exitOverride`); each action leaves its exit code in `state`, and lets a {@link UsageError}
 * through for {@link run} to report.
 */
export function createProgram(io: CliIo, state: RunState = { exitCode: EXIT_OK }): Command {
  const errorColors = picocolors.createColors(colorsEnabled(io.stderr, io.env));
  const program = new Command('sam-provider')
    .description('Drive cloud VMs through the SAM provider layer, or run its lifecycle demo.')
    .version(version)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHasColors: () => colorsEnabled(io.stdout, io.env),
      getErrHasColors: () => colorsEnabled(io.stderr, io.env),
      outputError: (text, write) => write(errorColors.red(safeUsageMessage(text))),
    })
    .exitOverride()
    .showHelpAfterError('(see `sam-provider --help`, or `sam-provider <command> --help`)')
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option('--provider <name>', 'the cloud').choices(PROVIDER_NAMES).default('scaleway'))
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--quiet', 'no progress on stderr')
    .option('--verbose', 'log every HTTP request on stderr (redacted headers and body, status, duration)')
    .option('--yes', 'change a real account without asking')
    .option('--secret-key <key>', 'Scaleway secret key (default: SCW_SECRET_KEY)')
    .option('--project-id <id>', 'Scaleway project id (default: SCW_DEFAULT_PROJECT_ID)')
    .option('--zone <zone>', 'Scaleway default zone for bare ids (default: SCW_DEFAULT_ZONE, else fr-par-1)')
    .option('--api-url <url>', 'API base URL (default: SCW_API_URL / HCLOUD_ENDPOINT, else the public API)')
    .option('--token <token>', 'Hetzner API token (default: HCLOUD_TOKEN)')
    .addHelpText('after', HELP_FOOTER);

  /**
   * Run one action with its output and context; a failure becomes one line on stderr and exit code 1, an interrupt
   * exit code 130.
   */
  const execute = async (command: Command, body: (context: CommandContext) => Promise<number>) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const connection = connectionOf(options);
    const output = new Output(io, {
      json: options.json === true,
      quiet: options.quiet === true,
      verbose: options.verbose === true,
      hints: {
        provider: options.provider,
        command: commandName(command),
        sources: settingSources(connection, io.env),
      },
    });
    try {
      state.exitCode = await body({
        io,
        output,
        connection,
        yes: options.yes === true,
        requestOptions: io.signal === undefined ? {} : { signal: io.signal },
      });
    } catch (error) {
      if (io.signal?.aborted === true) {
        output.failure(io.signal.reason);
        state.exitCode = EXIT_INTERRUPTED;
        return;
      }
      if (error instanceof UsageError) throw error;
      // The library refuses input before sending anything: what the person typed is wrong (exit code 2).
      if (isProviderError(error, 'invalid_input')) throw inputUsageError(error, output.hints);
      // An image the provider does not have is as mistyped as a bad flag value (exit code 2).
      const image = isProviderError(error) ? imageUsageError(error, output.hints) : undefined;
      if (image !== undefined) throw image;
      output.failure(error);
      state.exitCode = EXIT_FAILURE;
    }
  };

  program
    .command('demo')
    .description(
      'run a full VM lifecycle (3 VMs in 2 locations, a data volume that outlives its VM) and print a table; exit 0 only if it all passed',
    )
    .option('--live', 'run against the account your credentials name (asks first, unless --yes)')
    .addOption(
      new Option('--speed <factor>', 'emulator clock speed: 1 = realistic delays, 50 = fifty times faster')
        .argParser(parseSpeed)
        .default(1),
    )
    .action(async (options: { live?: boolean; speed: number }, command: Command) =>
      execute(command, (context) =>
        runDemo(io, context.output, {
          connection: context.connection,
          live: options.live === true,
          yes: context.yes,
          speed: options.speed,
        }),
      ),
    );

  program
    .command('validate')
    .description('check the credentials')
    .action(async (_options: unknown, command: Command) => execute(command, validateCommand));

  program
    .command('sizes')
    .description('the sizes, their server types, prices and the locations offering them')
    .action(async (_options: unknown, command: Command) => execute(command, sizesCommand));

  program
    .command('locations')
    .description('the locations and the sizes each offers')
    .action(async (_options: unknown, command: Command) => execute(command, locationsCommand));

  program
    .command('list')
    .description('list VMs, optionally only those carrying every given label')
    .option('--label <key=value>', 'match this label exactly (repeatable)', parseLabel)
    .action(async (options: { label?: Record<string, string> }, command: Command) =>
      execute(command, (context) => listCommand(context, options.label ?? {})),
    );

  program
    .command('get')
    .description('show one VM (exit 1 if it does not exist)')
    .argument('<id>', 'VM id')
    .action(async (id: string, _options: unknown, command: Command) =>
      execute(command, (context) => getCommand(context, id)),
    );

  program
    .command('create')
    .description('create a VM and start it')
    .requiredOption('--name <name>', 'VM name (a hostname)')
    .addOption(new Option('--size <size>', 'VM size').choices(SIZES).makeOptionMandatory())
    .requiredOption('--location <location>', 'location id (see `locations`)')
    .option('--label <key=value>', 'label to set (repeatable)', parseLabel)
    .option('--user-data <file>', 'cloud-init user data file (never logged)')
    .option('--image <image>', 'image name or id (default: Ubuntu 24.04)')
    .option('--wait', 'wait until it runs with a public IP')
    .action(async (options: CreateOptions, command: Command) =>
      execute(command, (context) => createCommand(context, options)),
    );

  for (const action of ['power-off', 'power-on'] as const) {
    program
      .command(action)
      .description(action === 'power-off' ? 'power a VM off (hard)' : 'power a VM on')
      .argument('<id>', 'VM id')
      .option(
        '--wait',
        action === 'power-off' ? 'wait until it is off' : 'wait until it runs with a public IP',
      )
      .action(async (id: string, options: { wait?: boolean }, command: Command) =>
        execute(command, (context) => powerCommand(context, action, id, options.wait === true)),
      );
  }

  program
    .command('delete')
    .description(
      'delete VMs with their boot disk and IP (attached data volumes are detached and kept); exit 1 if one is not found',
    )
    .argument('<id...>', 'VM ids')
    .option('--wait', 'wait until each is gone')
    .option('--missing-ok', 'a VM that does not exist is not a failure')
    .action(async (ids: string[], options: { wait?: boolean; missingOk?: boolean }, command: Command) =>
      execute(command, (context) =>
        deleteCommand(context, ids, { wait: options.wait === true, missingOk: options.missingOk === true }),
      ),
    );

  program
    .command('leftovers')
    .description(
      'list what is still billed for VMs that are gone (Scaleway boot volumes and servers of unfinished creates, Hetzner IPs marked sam-owned), never a data volume; --delete deletes exactly what it lists',
    )
    .option('--label <key=value>', 'only those carrying this label (repeatable)', parseLabel)
    .option('--delete', 'delete them (asks first on a real account)')
    .action(async (options: { label?: Record<string, string>; delete?: boolean }, command: Command) =>
      execute(command, (context) =>
        leftoversCommand(context, {
          ...(options.label === undefined ? {} : { label: options.label }),
          delete: options.delete === true,
        }),
      ),
    );

  program
    .command('sandbox')
    .description(
      'run the Scaleway and Hetzner Cloud emulators on 127.0.0.1 until Ctrl-C, and print the variables that point later commands at them',
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (0: a free one)').argParser(parsePort).default(0),
    )
    .addOption(
      new Option('--host <address>', 'address to listen on: loopback only')
        .argParser(parseHost)
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--speed <factor>', 'emulator clock speed: 1 = realistic delays, 0 = instant')
        .argParser(parseSandboxSpeed)
        .default(1),
    )
    .action(async (options: { port: number; host: string; speed: number }, command: Command) =>
      execute(command, (context) => sandboxCommand(context, options)),
    );

  const volume = program
    .command('volume')
    .description('block volumes: data disks that outlive the VMs they are attached to');

  volume
    .command('create')
    .description('create a block volume (raw, unformatted)')
    .requiredOption('--name <name>', 'volume name')
    .requiredOption('--size-gb <gb>', 'size in GB (10^9 bytes)', parseSizeGb)
    .option('--location <location>', LOCATION_HELP)
    .option('--label <key=value>', 'label to set (repeatable)', parseLabel)
    .action(async (options: VolumeCreateOptions, command: Command) =>
      execute(command, (context) => volumeCreateCommand(context, options)),
    );

  volume
    .command('list')
    .description('list the volumes of one location, optionally only those carrying every given label')
    .option('--location <location>', LOCATION_HELP)
    .option('--label <key=value>', 'match this label exactly (repeatable)', parseLabel)
    .action(async (options: { location?: string; label?: Record<string, string> }, command: Command) =>
      execute(command, (context) => volumeListCommand(context, options)),
    );

  volume
    .command('get')
    .description('show one volume (exit 1 if it does not exist)')
    .argument('<id>', 'volume id')
    .option('--location <location>', LOCATION_HELP)
    .action(async (id: string, options: { location?: string }, command: Command) =>
      execute(command, (context) => volumeGetCommand(context, id, options)),
    );

  volume
    .command('attach')
    .description('attach a volume to a VM in its location; returns once it is attached')
    .argument('<id>', 'volume id')
    .requiredOption('--vm <vm-id>', 'the VM to attach it to')
    .option('--location <location>', LOCATION_HELP)
    .action(async (id: string, options: { vm: string; location?: string }, command: Command) =>
      execute(command, (context) => volumeAttachCommand(context, id, options)),
    );

  volume
    .command('detach')
    .description('detach a volume from its VM; returns once it is detached')
    .argument('<id>', 'volume id')
    .option('--vm <vm-id>', 'only detach it from this VM (refused if it is attached to another)')
    .option('--location <location>', LOCATION_HELP)
    .action(async (id: string, options: { vm?: string; location?: string }, command: Command) =>
      execute(command, (context) => volumeDetachCommand(context, id, options)),
    );

  volume
    .command('resize')
    .description('grow a volume (volumes never shrink); returns once the new size has landed')
    .argument('<id>', 'volume id')
    .requiredOption('--size-gb <gb>', 'the new size in GB, above the current one', parseSizeGb)
    .option('--location <location>', LOCATION_HELP)
    .action(async (id: string, options: { sizeGb: number; location?: string }, command: Command) =>
      execute(command, (context) => volumeResizeCommand(context, id, options)),
    );

  volume
    .command('delete')
    .description('delete a detached volume and its data (an attached one is refused); exit 1 if not found')
    .argument('<id>', 'volume id')
    .option('--location <location>', LOCATION_HELP)
    .option('--missing-ok', 'a volume that does not exist is not a failure')
    .action(async (id: string, options: { location?: string; missingOk?: boolean }, command: Command) =>
      execute(command, (context) => volumeDeleteCommand(context, id, options)),
    );

  return program;
}

/** The command as typed, for hints: `create`, `volume list`. */
function commandName(command: Command): string {
  const parent = command.parent;
  return parent === null || parent.parent === null ? command.name() : `${parent.name()} ${command.name()}`;
}

/** `--json` among the arguments (before a `--`): usage errors then also print one JSON document. */
function wantsJson(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

const NO_COMMAND = 'no command given (see sam-provider --help)';

/** What a commander parse error says, without its `error: ` prefix and without any option value typed with `=`. */
function commanderMessage(error: CommanderError): string {
  if (error.code === 'commander.help') return NO_COMMAND;
  return safeUsageMessage(error.message.replace(/^error: /, ''));
}

/**
 * Run `sam-provider` with `argv` (as in `process.argv`: node, script, arguments) and resolve its exit code:
 * 0 success, 1 failure, 2 usage error, 130 interrupted.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const state: RunState = { exitCode: EXIT_OK };
  const program = createProgram(io, state);
  const usageJson = (message: string) => {
    if (wantsJson(argv)) {
      io.stdout.write(`${JSON.stringify({ error: { category: 'usage', message } }, null, 2)}\n`);
    }
  };
  const colors = picocolors.createColors(colorsEnabled(io.stderr, io.env));
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT_OK;
      // Commander has already written the message and the help to stderr; with no command, only the help.
      if (error.code === 'commander.help') io.stderr.write(`${colors.red(`error: ${NO_COMMAND}`)}\n`);
      usageJson(commanderMessage(error));
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`${colors.red(`error: ${error.message}`)}\n(see sam-provider --help)\n`);
      usageJson(error.message);
      return EXIT_USAGE;
    }
    const options = program.opts<GlobalOptions>();
    const hints: HintContext = {
      provider: options.provider,
      command: '',
      sources: settingSources(connectionOf(options), io.env),
    };
    io.stderr.write(`${colors.red('sam-provider:')} ${describeError(error, hints)}\n`);
    return EXIT_FAILURE;
  }
}
