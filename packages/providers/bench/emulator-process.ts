/**
 * An emulator in its own process, so the benchmark's memory and CPU readings are the client's alone.
 * Usage: emulator-process.ts <latencyMs> [scaleway | hetzner]. IPC messages in: `{ id, type, … }` (see `Message`);
 * out: `{ id, result }`, or `{ id, error }` when the emulator refused the seed.
 */
import {
  HetznerEmulator,
  type HetznerServerRecord,
  type HetznerVolumeRecord,
  type RequestLogEntry,
  type ScalewayBlockVolumeDelays,
  ScalewayEmulator,
  type ScalewaySeedBlockVolume,
  type ScalewaySeedServer,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';

export type EmulatorKind = 'scaleway' | 'hetzner';

export type EmulatorMessage =
  | { type: 'reset' }
  /** The request log since the last drain (or reset), as `METHOD /path` (see `logLine`), then forgotten. */
  | { type: 'drainLog' }
  | { type: 'seed'; template: ScalewaySeedServer; count: number }
  | { type: 'seedBlockVolume'; seed: ScalewaySeedBlockVolume }
  | { type: 'setBlockVolumeDelays'; delays: Partial<ScalewayBlockVolumeDelays> }
  | { type: 'seedHetznerServer'; seed: Partial<Omit<HetznerServerRecord, 'id' | 'generation' | 'ipId'>> }
  | { type: 'seedHetznerVolume'; seed: Partial<Omit<HetznerVolumeRecord, 'id'>> };

const latencyMs = Number(process.argv[2] ?? 20);
const kind = (process.argv[3] ?? 'scaleway') as EmulatorKind;
const scaleway =
  kind === 'scaleway' ? new ScalewayEmulator({ clock: { mode: 'instant' }, latencyMs }) : undefined;
const hetzner =
  kind === 'hetzner' ? new HetznerEmulator({ clock: { mode: 'instant' }, latencyMs }) : undefined;
const emulator = scaleway ?? (hetzner as HetznerEmulator);
const server = await startEmulatorServer(emulator);

function need<T>(which: T | undefined, type: string): T {
  if (which === undefined) throw new Error(`${type} is not a ${kind} emulator command`);
  return which;
}

/** `METHOD /path`, with the page asked for and the action a Scaleway `/action` POST names. */
function logLine(entry: RequestLogEntry): string {
  const page = entry.query.page === undefined ? '' : `?page=${entry.query.page}`;
  let action = '';
  if (entry.path.endsWith('/action') && entry.body !== undefined) {
    try {
      const named = (JSON.parse(entry.body) as { action?: unknown }).action;
      if (typeof named === 'string') action = ` {"action":"${named}"}`;
    } catch {
      // Not JSON: the path alone.
    }
  }
  return `${entry.method} ${entry.path}${page}${action}`;
}

function answer(message: EmulatorMessage): unknown {
  switch (message.type) {
    case 'reset':
      emulator.reset();
      return null;
    case 'drainLog': {
      const log = emulator.requests.map(logLine);
      emulator.clearRequests();
      return log;
    }
    case 'seed':
      return need(scaleway, message.type)
        .seedServers(message.count, message.template)
        .map((record) => `${record.zone}/${record.id}`);
    case 'seedBlockVolume': {
      const volume = need(scaleway, message.type).seedBlockVolume(message.seed);
      return `${volume.zone}/${volume.id}`;
    }
    case 'setBlockVolumeDelays':
      need(scaleway, message.type).setBlockVolumeDelays(message.delays);
      return null;
    case 'seedHetznerServer':
      return String(need(hetzner, message.type).seedServer(message.seed).id);
    case 'seedHetznerVolume':
      return String(need(hetzner, message.type).seedVolume(message.seed).id);
  }
}

process.on('message', (message: EmulatorMessage & { id: number }) => {
  try {
    process.send?.({ id: message.id, result: answer(message) });
  } catch (error) {
    process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send?.({ ready: server.url });
