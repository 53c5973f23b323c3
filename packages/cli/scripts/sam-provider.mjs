#!/usr/bin/env node
/**
 * `sam-provider` from its TypeScript sources, without a build: `pnpm sam-provider <command>` from the repository
 * root (or from packages/cli). The workspace packages resolve to their sources through packages/cli/tsconfig.json.
 *
 * pnpm runs a script in the directory of its package.json; when it ran this one, relative paths the person typed
 * (`--user-data ./cloud-init.yaml`) are resolved against the directory they ran pnpm in (`INIT_CWD`). The CLI runs
 * in this process, so its exit code and its handling of Ctrl-C are the process's own.
 */
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

if (process.env.npm_lifecycle_event === 'sam-provider' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/bin.ts');
