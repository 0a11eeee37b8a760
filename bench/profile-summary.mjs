// Prints where a CPU profile (.cpuprofile from `node --cpu-prof`) spent its time: top functions by
// self time, and self time per package / gateway source file.
// Usage: node bench/profile-summary.mjs <profile-dir-or-file> [top-n]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function where(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/dist/');
  if (src >= 0) return url.slice(src + 1);
  return path.basename(url);
}

/** Self time (ms) per function and per package, over every profile given. */
export function selfTimes(files) {
  const fns = new Map();
  const pkgs = new Map();
  let total = 0;
  for (const file of files) {
    const p = JSON.parse(fs.readFileSync(file, 'utf8'));
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map();
    for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    for (const [id, ms] of self) {
      const { functionName, url, lineNumber } = nodes.get(id).callFrame;
      const fn = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
      fns.set(fn, (fns.get(fn) ?? 0) + ms);
      pkgs.set(where(url), (pkgs.get(where(url)) ?? 0) + ms);
      total += ms;
    }
  }
  return { fns, pkgs, total };
}

export function summariseProfiles(target, top = 25) {
  const files = fs.statSync(target).isDirectory()
    ? fs.readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(target, f))
    : [target];
  if (files.length === 0) return `no .cpuprofile in ${target}`;
  const { fns, pkgs, total } = selfTimes(files);
  const row = ([name, ms]) => `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `total sampled ${total.toFixed(0)} ms in ${files.length} profile(s)`,
    '',
    `top ${top} functions by self time:`,
    ...sorted(fns).map(row),
    '',
    'self time by package / file:',
    ...sorted(pkgs).map(row),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node bench/profile-summary.mjs <profile-dir-or-file> [top-n]');
    process.exit(2);
  }
  console.log(summariseProfiles(process.argv[2], Number(process.argv[3] ?? 25)));
}
