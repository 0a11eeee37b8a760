// A fresh clone stays clean and quick to use: the lock file agrees with package.json (so `npm install`
// leaves it unchanged), and the npm scripts compile TypeScript only when an input changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/test-gateway';

const { isStale, STAMP } = require(path.join(ROOT, 'scripts/build-if-stale.js')) as { isStale: (root: string) => boolean; STAMP: string };

const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));

describe('package-lock.json', () => {
  it('describes the root package as package.json does (name, version, bin, dependency ranges)', () => {
    const pkg = readJson('package.json');
    const root = readJson('package-lock.json').packages[''];
    expect(root).toMatchObject({ name: pkg.name, version: pkg.version, bin: pkg.bin, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies });
  });
});

describe('the npm scripts build only when sources changed', () => {
  const pkg = readJson('package.json');

  it.each(['prestart', 'pretoken', 'audit:verify', 'audit:prune'])('%s goes through build-if-stale, not a full tsc run', (name) => {
    expect(pkg.scripts[name]).toMatch(/^node scripts\/build-if-stale\.js( |$)/);
  });

  describe('isStale', () => {
    let dir: string;
    const at = (f: string, secondsAgo: number) => {
      const t = new Date(Date.now() - secondsAgo * 1000);
      fs.utimesSync(path.join(dir, f), t, t);
    };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-stale-'));
      fs.mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'seeds'));
      fs.mkdirSync(path.join(dir, 'dist'));
      for (const f of ['src/cli/a.ts', 'seeds/b.ts', 'tsconfig.json', 'package.json']) fs.writeFileSync(path.join(dir, f), '');
      for (const f of ['src/cli/a.ts', 'src/cli', 'src', 'seeds/b.ts', 'seeds', 'tsconfig.json', 'package.json']) at(f, 100);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is stale without a stamp, fresh after a build that followed every change', () => {
      expect(isStale(dir)).toBe(true);
      fs.writeFileSync(path.join(dir, STAMP), '');
      at(STAMP, 50);
      expect(isStale(dir)).toBe(false);
    });

    it.each([['a nested source', 'src/cli/a.ts'], ['a seed', 'seeds/b.ts'], ['the compiler settings', 'tsconfig.json'], ['package.json', 'package.json']])(
      'is stale again when %s changes after the build',
      (_what, file) => {
        fs.writeFileSync(path.join(dir, STAMP), '');
        at(STAMP, 50);
        at(file, 10);
        expect(isStale(dir)).toBe(true);
      },
    );

    it('is stale when a console source changes after the build (npm start bundles the console too)', () => {
      fs.mkdirSync(path.join(dir, 'console'));
      fs.writeFileSync(path.join(dir, 'console/main.tsx'), '');
      at('console/main.tsx', 100);
      at('console', 100);
      fs.writeFileSync(path.join(dir, STAMP), '');
      at(STAMP, 50);
      expect(isStale(dir)).toBe(false);
      at('console/main.tsx', 10);
      expect(isStale(dir)).toBe(true);
    });

    it('is stale when a source file is added or removed (its directory changes)', () => {
      fs.writeFileSync(path.join(dir, STAMP), '');
      at(STAMP, 50);
      fs.rmSync(path.join(dir, 'src/cli/a.ts'));
      expect(isStale(dir)).toBe(true);
    });
  });
});
