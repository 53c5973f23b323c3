// The target of this package's `require` export condition: the package is ESM-only.
throw Object.assign(
  new Error(
    '@simple-agent-manager/providers is ESM-only and cannot be loaded with require(). Use `import` (or a dynamic `import()` from CommonJS) instead.',
  ),
  { code: 'ERR_REQUIRE_ESM' },
);
