// Builds dist/ from src/: app.js and app.css bundled and minified by esbuild, index.html copied.
// The output is deterministic (no hashes, no timestamps, no source maps), so `make dashboard-check`
// can rebuild it and compare with the committed dist/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await build({
  entryPoints: { app: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'dist',
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
