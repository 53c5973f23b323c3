/**
 * The emulator in its own process, so the benchmark's memory and CPU readings are the client's alone.
 * IPC messages in: { id, type: 'seed', template, count } | { id, type: 'reset' }. Out: { id, result }.
 */
import {
  ScalewayEmulator,
  type ScalewaySeedServer,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';

type Message =
  | { id: number; type: 'seed'; template: ScalewaySeedServer; count: number }
  | { id: number; type: 'reset' };

const emulator = new ScalewayEmulator({
  clock: { mode: 'instant' },
  latencyMs: Number(process.argv[2] ?? 20),
});
const server = await startEmulatorServer(emulator);

process.on('message', (message: Message) => {
  if (message.type === 'reset') {
    emulator.reset();
    process.send?.({ id: message.id, result: null });
    return;
  }
  const seeded = emulator
    .seedServers(message.count, message.template)
    .map((record) => `${record.zone}/${record.id}`);
  process.send?.({ id: message.id, result: seeded });
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send?.({ ready: server.url });
