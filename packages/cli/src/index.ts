export type { CliIo, InputStream, OutputStream } from './cli-io.js';
export { processIo } from './cli-io.js';
export type { DemoOptions, DemoStep } from './demo.js';
export { runDemo } from './demo.js';
export type { RunState } from './program.js';
export { createProgram, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, run } from './program.js';
export type { ConnectionOptions, ProviderName, Target } from './target.js';
export { openTarget, PROVIDER_NAMES } from './target.js';
export { UsageError } from './usage-error.js';
