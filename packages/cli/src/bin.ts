#!/usr/bin/env node
import { interruptOnSignals, processIo } from './cli-io.js';
import { run } from './program.js';

const interrupts = interruptOnSignals();
try {
  process.exitCode = await run(process.argv, { ...processIo(), signal: interrupts.signal });
} finally {
  interrupts.remove();
}
