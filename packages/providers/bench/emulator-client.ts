/**
 * Forks `emulator-process.ts` (the Scaleway emulator in a process of its own, so that no reading of the client's CPU
 * or memory includes the emulator's) and talks to it over IPC: seed servers, reset, close.
 */
import { fork } from 'node:child_process';
import type { ScalewaySeedServer } from '@simple-agent-manager/cloud-emulator';

export interface EmulatorProcess {
  /** `http://127.0.0.1:<port>` */
  readonly apiUrl: string;
  /** Adds `count` servers like `template`; resolves to their zonal ids (`{zone}/{uuid}`). */
  seed(count: number, template: ScalewaySeedServer): Promise<string[]>;
  reset(): Promise<void>;
  close(): void;
}

export async function forkEmulator(latencyMs: number): Promise<EmulatorProcess> {
  const child = fork(new URL('./emulator-process.ts', import.meta.url), [String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { ready: string }) => resolve(message.ready));
    child.once('exit', (code) =>
      reject(new Error(`the emulator process exited (${code}) before it was ready`)),
    );
  });
  let nextMessage = 0;
  const tell = <T>(message: Record<string, unknown>): Promise<T> => {
    const id = nextMessage++;
    return new Promise((resolve) => {
      const onMessage = (reply: { id: number; result: T }) => {
        if (reply.id !== id) return;
        child.off('message', onMessage);
        resolve(reply.result);
      };
      child.on('message', onMessage);
      child.send({ ...message, id });
    });
  };
  return {
    apiUrl,
    seed: (count, template) => tell<string[]>({ type: 'seed', count, template }),
    reset: async () => {
      await tell<null>({ type: 'reset' });
    },
    close: () => child.disconnect(),
  };
}
