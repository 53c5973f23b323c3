import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their sources, so tests never need a build first.
const alias = Object.fromEntries(
  ['shared', 'providers', 'cloud-emulator', 'cli'].map((name) => [
    `@simple-agent-manager/${name}`,
    fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
  ]),
);

const project = (name: string, include: string[] = ['tests/**/*.test.ts']) => ({
  resolve: { alias },
  test: {
    name,
    root: fileURLToPath(new URL(`./packages/${name}`, import.meta.url)),
    include,
    environment: 'node',
    testTimeout: 30_000,
  },
});

export default defineConfig({
  test: {
    projects: [project('shared'), project('providers'), project('cloud-emulator'), project('cli')],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['packages/*/src/**/index.ts', 'packages/cloud-emulator/src/serve.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'packages/providers/src/**': { lines: 90, branches: 90, functions: 90, statements: 90 },
        'packages/providers/src/scaleway*.ts': { lines: 95, branches: 90 },
      },
    },
  },
});
