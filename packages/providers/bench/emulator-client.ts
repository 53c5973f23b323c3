/**
 * Forks `emulator-process.ts` (an emulator in a process of its own, so that no reading of the client's CPU or memory
 * includes the emulator's) and talks to it over IPC: seed servers and volumes, set the Block lag, read the request
 * log, reset, close.
 */
import { fork } from 'node:child_process';
import type {
  HetznerServerRecord,
  HetznerVolumeRecord,
  ScalewayBlockVolumeDelays,
  ScalewaySeedBlockVolume,
  ScalewaySeedServer,
} from '@simple-agent-manager/cloud-emulator';
import type { EmulatorKind, EmulatorMessage } from './emulator-process.js';

export interface EmulatorProcess {
  /** `http://127.0.0.1:<port>` */
  readonly apiUrl: string;
  /** Scaleway: adds `count` servers like `template`; resolves to their zonal ids (`{zone}/{uuid}`). */
  seed(count: number, template: ScalewaySeedServer): Promise<string[]>;
  /** Scaleway: adds a Block volume (attached to `seed.serverId` when given); resolves to its `{zone}/{uuid}`. */
  seedBlockVolume(seed: ScalewaySeedBlockVolume): Promise<string>;
  /** Scaleway: how long the Block view lags behind (emulated ms; the bench's clock is instant anyway). */
  setBlockVolumeDelays(delays: Partial<ScalewayBlockVolumeDelays>): Promise<void>;
  /** Hetzner: adds a server; resolves to its id as `createVM` returns it. */
  seedHetznerServer(seed: Partial<Omit<HetznerServerRecord, 'id' | 'generation' | 'ipId'>>): Promise<string>;
  /** Hetzner: adds a volume (attached when `seed.server` is set); resolves to its id. */
  seedHetznerVolume(seed: Partial<Omit<HetznerVolumeRecord, 'id'>>): Promise<string>;
  /**
   * The requests the emulator received since the last drain or reset, as `METHOD /path` (plus `?page=N` when a page
   * was asked for, and the action a Scaleway `/action` POST names), then forgets them.
   */
  drainLog(): Promise<string[]>;
  reset(): Promise<void>;
  close(): void;
}

export async function forkEmulator(
  latencyMs: number,
  kind: EmulatorKind = 'scaleway',
): Promise<EmulatorProcess> {
  const child = fork(new URL('./emulator-process.ts', import.meta.url), [String(latencyMs), kind], {
    execArgv: ['--import', 'tsx'],
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { ready: string }) => resolve(message.ready));
    child.once('exit', (code) =>
      reject(new Error(`the emulator process exited (${code}) before it was ready`)),
    );
  });
  let nextMessage = 0;
  const tell = <T>(message: EmulatorMessage): Promise<T> => {
    const id = nextMessage++;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: { id: number; result: T; error?: string }) => {
        if (reply.id !== id) return;
        child.off('message', onMessage);
        if (reply.error === undefined) resolve(reply.result);
        else reject(new Error(`emulator ${message.type}: ${reply.error}`));
      };
      child.on('message', onMessage);
      child.send({ ...message, id });
    });
  };
  return {
    apiUrl,
    seed: (count, template) => tell<string[]>({ type: 'seed', count, template }),
    seedBlockVolume: (seed) => tell<string>({ type: 'seedBlockVolume', seed }),
    setBlockVolumeDelays: async (delays) => {
      await tell<null>({ type: 'setBlockVolumeDelays', delays });
    },
    seedHetznerServer: (seed) => tell<string>({ type: 'seedHetznerServer', seed }),
    seedHetznerVolume: (seed) => tell<string>({ type: 'seedHetznerVolume', seed }),
    drainLog: () => tell<string[]>({ type: 'drainLog' }),
    reset: async () => {
      await tell<null>({ type: 'reset' });
    },
    close: () => child.disconnect(),
  };
}
