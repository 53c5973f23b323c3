import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The chaos suite at benchmark scale (bench/chaos.run.ts); workspace packages resolve to their sources.
const alias = Object.fromEntries(
  ['shared', 'providers', 'cloud-emulator'].map((name) => [
    `@simple-agent-manager/${name}`,
    fileURLToPath(new URL(`../../${name}/src/index.ts`, import.meta.url)),
  ]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['bench/chaos.run.ts'],
    environment: 'node',
    testTimeout: 900_000,
  },
});
