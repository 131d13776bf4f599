// The production build: src/ and its dependencies bundled into dist/ (esbuild). Loading a few files instead of
// ~700 modules (each resolved, read and compiled on its own) takes the service's start to listening from ~0.9 s to
// ~0.6 s, and a request's CPU down by a few percent (docs/performance.md). Types are checked by `npm run
// typecheck` (make lint), not here.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: import.meta.dirname,
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  // The LLM providers' modules (and their SDKs) stay in chunks of their own, loaded on first use as in src/.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // The dependencies written as CommonJS call require(); an ES module has none, so each file gets one (under a
  // name of its own: the banner is not parsed, so esbuild cannot rename around it).
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
  },
  // Maps without the sources: `node --enable-source-maps` turns a stack trace back into src/ and package paths.
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
