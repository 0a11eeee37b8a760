#!/usr/bin/env node
// Compiles the TypeScript sources into dist/ only when something they depend on changed since the
// last successful build (a stamp file in dist/), so `npm run token` and friends cost one node start,
// not a full `tsc` run (nor a console bundle). Used by the npm `pre*` scripts; `npm run build` always compiles.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** What the build reads: the sources, the compiler settings and the dependency set. */
const INPUTS = ['src', 'seeds', 'console', 'scripts/build-console.js', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const STAMP = path.join('dist', '.build-stamp');

/** Latest modification time (ms) of a file, or of any file or directory under a directory. */
function latestChange(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  // A directory's own mtime moves when an entry is added, renamed or deleted.
  let latest = st.mtimeMs;
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) latest = Math.max(latest, latestChange(path.join(p, e)));
  return latest;
}

/** True when dist/ is missing its stamp or an input changed after the build that wrote it. */
function isStale(root) {
  let built;
  try {
    built = fs.statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return true;
  }
  return INPUTS.some((i) => latestChange(path.join(root, i)) > built);
}

async function build(root) {
  const started = new Date();
  process.stderr.write('meshguard: sources changed since the last build; compiling TypeScript...\n');
  // tsc reports errors on stdout: send them to stderr so `$(npm run -s token ...)` captures only the token.
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) return r.status ?? 1;
  try {
    await require('./build-console').buildConsole(root);
  } catch (e) {
    process.stderr.write(`meshguard: the console did not build: ${e.message}\n`);
    return 1;
  }
  // The stamp carries the time the build started: a file saved during the build triggers the next one.
  fs.writeFileSync(path.join(root, STAMP), `${started.toISOString()}\n`);
  fs.utimesSync(path.join(root, STAMP), started, started);
  return 0;
}

module.exports = { isStale, latestChange, STAMP, INPUTS };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  if (isStale(root)) build(root).then((status) => (process.exitCode = status));
}
