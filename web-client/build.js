// Builds the browser app into web-client/dist/: src/main.js bundled (with
// ot-text-unicode from npm) into app.js, plus the static files of public/.
// Usage: node web-client/build.js [--dev]   (--dev: no minification)
import { build } from 'esbuild';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const dev = process.argv.includes('--dev');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await build({
  entryPoints: [path.join(here, 'src/main.js')],
  outfile: path.join(dist, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
  minify: !dev,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
await cp(path.join(here, 'public'), dist, { recursive: true });
const size = (await stat(path.join(dist, 'app.js'))).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`web-client/dist/app.js: ${(size / 1024).toFixed(1)} KiB from ${inputs} modules`);
