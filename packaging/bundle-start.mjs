// The last step of `npm run build`: `courier-gw start`'s module (dist/cli/start.js, as tsc
// emitted it) bundled in place with everything it imports, so a start reads a few files
// instead of some 180. What each `import()` reaches stays a chunk of its own beside it
// (dist/cli/start-*.js), loaded only when a config needs it, as before. Left out of the
// bundle and loaded from node_modules as before: packages with native bindings or worker
// files of their own. Loaded from their own compiled file: the project modules that find
// files next to themselves (import.meta.url). dist/cli/start.meta.json tells which inputs
// went into which output (tests/interop/start-bundle.test.ts reads it).
import { build } from 'esbuild';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'cli');

/** packages loaded from node_modules: native bindings, worker threads, or tools never bundled */
const externalPackages = ['serialport', '@serialport/*', 'node-hid', '@abandonware/noble', 'unix-dgram', 'pino', 'pino-pretty', 'pino-roll', 'thread-stream', 'typescript'];
/**
 * project modules that find files beside their compiled file; core/package.js walks up to
 * package.json and the dashboard resolves the chart library's package, both of which work
 * from the bundle's folder too, so they may move
 */
const locatedModules = ['gateway/dashboard/assets/script.js', 'devices/scanner/image-decoder.js'];
const movable = ['core/package.js', 'gateway/dashboard/dashboard.js'];

const keepInPlace = {
  name: 'keep-located-modules',
  setup(b) {
    // a package only import() reaches loads from node_modules when a config needs it (and a
    // CommonJS one split into a chunk of its own would lose its named exports)
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const rel = path.relative(dist, file).split(path.sep).join('/');
      if (!locatedModules.includes(rel)) return undefined;
      let spec = path.relative(outdir, file).split(path.sep).join('/');
      if (!spec.startsWith('.')) spec = `./${spec}`;
      return { path: spec, external: true };
    });
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const rel = path.relative(dist, args.path).split(path.sep).join('/');
      if (rel.startsWith('..')) return undefined;
      const contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url') && !movable.includes(rel) && rel !== 'cli/start.js') {
        return { errors: [{ text: `${rel} finds files with import.meta.url: list it in locatedModules (packaging/bundle-start.mjs) so it is not moved into the bundle` }] };
      }
      return { contents, loader: 'js' };
    });
  },
};

const marker = '// courier-gw start, bundled';
const entry = path.join(outdir, 'start.js');
if ((await readFile(entry, 'utf8')).startsWith(marker)) {
  // already bundled: this build's tsc did not emit start.js again
  process.exit(0);
}
for (const f of await readdir(outdir)) if (/^start-.*\.js$/.test(f)) await rm(path.join(outdir, f));

const result = await build({
  entryPoints: [entry],
  outdir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'start-[name]-[hash]',
  external: externalPackages,
  plugins: [keepInPlace],
  absWorkingDir: root,
  metafile: true,
  sourcemap: true,
  logLevel: 'warning',
  // the bundled CommonJS packages call require() for node built-ins and the packages left out
  banner: { js: marker + "\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
await writeFile(path.join(outdir, 'start.meta.json'), JSON.stringify(result.metafile));
