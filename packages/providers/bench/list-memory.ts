/**
 * Lists every server through a fresh provider in a fresh process and reports memory, so the reading is the
 * client's alone: peak resident set size growth over the process's own baseline, and heap still held after GC.
 * Usage (IPC child of run.ts): argv = [apiUrl]; replies { peakRssGrowthMb, heldHeapMb, servers }.
 */
import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
} from '@simple-agent-manager/cloud-emulator';
import { createProvider } from '../src/index.js';

const apiUrl = process.argv[2] as string;
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
const provider = createProvider({
  provider: 'scaleway',
  secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
  projectId: SCALEWAY_EMULATOR_PROJECT_ID,
  apiUrl,
});
// Warm the code paths (and the connection pool) on an empty filter, then take the baseline.
await provider.listVMs({ warmup: 'none' });
collect();
const baselineRss = process.resourceUsage().maxRSS;
const baselineHeap = process.memoryUsage().heapUsed;
const listed = await provider.listVMs();
const peakRss = process.resourceUsage().maxRSS;
collect();
const heldHeap = process.memoryUsage().heapUsed;
const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
process.send?.({
  peakRssGrowthMb: megabytes((peakRss - baselineRss) * 1024),
  heldHeapMb: megabytes(heldHeap - baselineHeap),
  servers: listed.length,
});
process.disconnect?.();
