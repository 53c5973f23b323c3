/**
 * What each published package promises a consumer: its metadata, a license and a README, ESM-only exports whose
 * `require` condition says so, shipped files that exist, source maps whose sources ship, and dependencies declared
 * with the ranges a library gives. Runs without a build: what only a build makes is checked when it is there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const AUTHORS = 'The simple-agent-manager authors';
const ESM_ONLY =
  /is ESM-only and cannot be loaded with require\(\)\. Use `import` \(or a dynamic `import\(\)`/;

interface PackageJson {
  name: string;
  private?: boolean;
  type?: string;
  license?: string;
  description?: string;
  repository?: unknown;
  keywords?: unknown;
  engines?: Record<string, string>;
  sideEffects?: boolean | string[];
  exports?: Record<string, unknown>;
  files?: string[];
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  publishConfig?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const PACKAGES = [
  { dir: 'shared', name: '@simple-agent-manager/shared', library: true },
  { dir: 'providers', name: '@simple-agent-manager/providers', library: true },
  { dir: 'cloud-emulator', name: '@simple-agent-manager/cloud-emulator', library: true },
  { dir: 'cli', name: '@simple-agent-manager/provider-cli', library: false },
].map((entry) => {
  const dir = join(ROOT, 'packages', entry.dir);
  return { ...entry, path: dir, manifest: readJson<PackageJson>(join(dir, 'package.json')) };
});

/** The compiler options `pnpm build` uses for a package (its tsconfig.build.json, `extends` applied). */
function buildOptions(dir: string): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${dir}/tsconfig.build.json`);
  return parsed.options;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Every bare module specifier a TypeScript file imports or re-exports (relative and `node:` ones left out). */
function bareImports(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] as string);
  return specifiers.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'));
}

const packageNameOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** The conditions of the package's `.` export. */
const rootExport = (manifest: PackageJson) => (manifest.exports?.['.'] ?? {}) as Record<string, string>;

/** A path of the package (`./dist/index.js`) is shipped when it is under one of its `files` entries. */
const isShipped = (files: readonly string[], path: string) =>
  files.some((entry) => {
    const normalized = entry.replace(/^\.\//, '').replace(/\/$/, '');
    const target = path.replace(/^\.\//, '');
    return target === normalized || target.startsWith(`${normalized}/`);
  });

describe('the root package', () => {
  const root = readJson<PackageJson>(join(ROOT, 'package.json'));

  it('stays private, with a LICENSE, and versions the packages with Changesets', () => {
    expect(root.private).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain(AUTHORS);
    expect(root.devDependencies?.['@changesets/cli']).toBeDefined();
    expect(root.scripts?.changeset).toBe('changeset');
    expect(root.scripts?.['version-packages']).toMatch(/^changeset version\b/);
  });

  it('releases the four packages together (.changeset/config.json)', () => {
    const config = readJson<{ fixed: string[][]; access: string; baseBranch: string }>(
      join(ROOT, '.changeset', 'config.json'),
    );
    expect(config.fixed).toEqual([PACKAGES.map((entry) => entry.name)]);
    expect(config.access).toBe('public');
    expect(config.baseBranch).toBe('main');
  });
});

describe.each(PACKAGES)('$name', ({ dir, name, path, manifest, library }) => {
  it('is publishable: not private, public access, MIT with a LICENSE file naming the authors', () => {
    expect(manifest.name).toBe(name);
    expect(manifest.private).toBeUndefined();
    expect(manifest.publishConfig).toEqual({ access: 'public' });
    expect(manifest.license).toBe('MIT');
    const license = readFileSync(join(path, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} The simple-agent-manager authors\n/);
    expect(license).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });

  it('has a description, keywords, the repository with its directory, Node >= 20 and type module', () => {
    expect(manifest.description?.length ?? 0).toBeGreaterThan(20);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['simple-agent-manager']));
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/simple-agent-manager/providers.git',
      directory: `packages/${dir}`,
    });
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(manifest.type).toBe('module');
  });

  it('has a README', () => {
    expect(readFileSync(join(path, 'README.md'), 'utf8')).toContain(name);
  });

  it('exports types first, then import, and a require condition that throws an ESM-only error', () => {
    const root = rootExport(manifest);
    expect(Object.keys(root)).toEqual(['types', 'import', 'require']);
    expect(root.require).toBe('./cjs-unsupported.cjs');
    expect(isShipped(manifest.files ?? [], root.require as string)).toBe(true);

    // The package's own name resolves through its `exports` (self-reference), as it does for a consumer.
    const require = createRequire(join(path, 'package.json'));
    expect(require.resolve(name)).toBe(join(path, 'cjs-unsupported.cjs'));
    let thrown: unknown;
    try {
      require(name);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(ESM_ONLY);
    expect((thrown as Error).message.startsWith(`${name} is ESM-only`)).toBe(true);
    expect((thrown as NodeJS.ErrnoException).code).toBe('ERR_REQUIRE_ESM');
  });

  it('ships only what exists: every `files` entry is there, or is the build output', () => {
    const options = buildOptions(path);
    const outDir = relative(path, options.outDir ?? '');
    expect(outDir).toBe('dist');
    for (const entry of manifest.files ?? []) {
      if (entry === outDir) continue;
      expect(existsSync(join(path, entry)), `${entry} in files`).toBe(true);
    }
  });

  it('points exports and bin at build outputs of shipped sources', () => {
    const options = buildOptions(path);
    const rootDir = relative(path, options.rootDir ?? '');
    const outputs = [...Object.values(rootExport(manifest)), ...Object.values(manifest.bin ?? {})].filter(
      (target) => target.startsWith('./dist/'),
    );
    expect(outputs.length).toBeGreaterThan(0);
    for (const target of outputs) {
      expect(isShipped(manifest.files ?? [], target), `${target} shipped`).toBe(true);
      const source = target.replace(/^\.\/dist\//, `${rootDir}/`).replace(/(\.d)?\.js$|\.d\.ts$/, '.ts');
      expect(existsSync(join(path, source)), `${target} is built from ${source}`).toBe(true);
    }
  });

  it('ships the sources its source maps and declaration maps point to', () => {
    const options = buildOptions(path);
    expect(options.sourceMap).toBe(options.declarationMap);
    const rootDir = relative(path, options.rootDir ?? '');
    if (options.sourceMap === true || options.declarationMap === true) {
      expect(manifest.files).toContain(rootDir);
    }
    // After a build: every map of a current source names only files the package ships.
    const outDir = options.outDir ?? join(path, 'dist');
    for (const source of filesUnder(join(path, rootDir)).filter((file) => file.endsWith('.ts'))) {
      const base = join(outDir, relative(join(path, rootDir), source)).replace(/\.ts$/, '');
      for (const map of [`${base}.js.map`, `${base}.d.ts.map`].filter((file) => existsSync(file))) {
        for (const mapped of readJson<{ sources: string[] }>(map).sources) {
          const target = resolve(dirname(map), mapped);
          expect(existsSync(target), `${relative(path, map)} → ${mapped}`).toBe(true);
          expect(isShipped(manifest.files ?? [], relative(path, target).split(sep).join('/'))).toBe(true);
        }
      }
    }
  });

  it('marks only its executables as having side effects', () => {
    const executables = Object.values(manifest.bin ?? {});
    if (executables.length === 0) {
      expect(manifest.sideEffects).toBe(false);
    } else {
      expect(manifest.sideEffects).toEqual(executables);
    }
    const entry = rootExport(manifest).import;
    expect(executables).not.toContain(entry);
  });

  it('declares every package its sources import, as a dependency or peer dependency', () => {
    const runtime = { ...manifest.dependencies, ...manifest.peerDependencies };
    const imported = new Set(
      filesUnder(join(path, 'src'))
        .filter((file) => file.endsWith('.ts'))
        .flatMap((file) => bareImports(readFileSync(file, 'utf8')).map(packageNameOf)),
    );
    for (const dependency of imported) expect(runtime, `${dependency} declared`).toHaveProperty([dependency]);
    // Nothing declared for consumers to install that the sources never import, but the peers of the workspace
    // packages it depends on (the CLI installs msw for the emulator it embeds).
    const peersOfOurs = new Set(
      PACKAGES.filter((other) => Object.hasOwn(manifest.dependencies ?? {}, other.name)).flatMap((other) =>
        Object.keys(other.manifest.peerDependencies ?? {}),
      ),
    );
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      expect(imported.has(dependency) || peersOfOurs.has(dependency), `${dependency} imported`).toBe(true);
    }
  });

  it('gives its dependencies the ranges a library gives: caret, workspace:^', () => {
    for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
      const expected = dependency.startsWith('@simple-agent-manager/') ? /^workspace:\^$/ : /^\^\d/;
      expect(range, dependency).toMatch(expected);
    }
    for (const [dependency, range] of Object.entries(manifest.peerDependencies ?? {})) {
      expect(range, dependency).toMatch(/^\^\d/);
      // The workspace itself installs the peer, pinned, for its own tests.
      expect(manifest.devDependencies?.[dependency], dependency).toMatch(/^\d/);
    }
  });

  it('says in its README that it is ESM-only, and shows how to install it', () => {
    const readme = readFileSync(join(path, 'README.md'), 'utf8');
    expect(readme).toContain('ESM-only');
    const install = library
      ? `npm install ${dir === 'cloud-emulator' ? '--save-dev ' : ''}${name}`
      : `npm install --global ${name}`;
    expect(readme).toContain(install);
    expect(readme).toContain('## License\n\nMIT');
  });

  if (!library) {
    it('depends on msw itself: the embedded emulator needs the peer at run time', () => {
      expect(manifest.dependencies?.msw).toMatch(/^\^2\./);
    });
  }
});
