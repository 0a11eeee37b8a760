#!/usr/bin/env node
// Bundles the web console (console/: Preact views, uPlot charts, plain CSS) into dist/console with
// esbuild: index.html, assets/console.js and assets/console.css. Nothing is fetched at run time:
// every library is in the bundle, so the page runs under a CSP that allows only the gateway's files.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Builds into `out` (default dist/console under `root`); throws on any error esbuild reports. */
async function buildConsole(root, out = path.join(root, 'dist', 'console')) {
  const esbuild = require('esbuild');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'assets'), { recursive: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { console: path.join(root, 'console', 'main.tsx') },
    outdir: path.join(out, 'assets'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(root, 'console', 'tsconfig.json'),
    legalComments: 'linked',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(root, 'console', 'index.html'), path.join(out, 'index.html'));
  return out;
}

module.exports = { buildConsole };

if (require.main === module) {
  buildConsole(path.resolve(__dirname, '..')).catch((e) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  });
}
