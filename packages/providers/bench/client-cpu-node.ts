/**
 * The Node side of the client CPU benchmark, in a fresh process (the emulator runs in another): each IPC message
 * `{ id, input: ClientCpuInput }` runs the operation `input.n` times and replies `{ id, cpuUs, wallMs, answer }`
 * (CPU from `process.cpuUsage()`, user + system, every thread of the process) or `{ id, error }`.
 * `--zod-jitless`: `z.config({ jitless: true })` before the schemas are built (zod's object parser without `new
 * Function`, as inside workerd).
 */
import { z } from 'zod';
import type { ClientCpuInput } from './client-cpu-ops.js';

if (process.argv.includes('--zod-jitless')) z.config({ jitless: true });
// Imported only now: zod reads `jitless` when a schema is built.
const { runClientCpuOperation } = await import('./client-cpu-ops.js');

process.on('message', async (message: { id: number; input: ClientCpuInput }) => {
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const answer = await runClientCpuOperation(message.input);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    process.send?.({ id: message.id, cpuUs: cpu.user + cpu.system, wallMs, answer });
  } catch (error) {
    process.send?.({
      id: message.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
