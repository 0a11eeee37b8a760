// A fresh copy of the bundled policies per test, with helpers to edit one file and to expect a load error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../../src/errors';
import { loadPolicies } from '../../src/policy/load-policies';
import { POLICIES } from './test-gateway';

export interface PolicyCopy {
  /** The copy's directory (new for each test). */
  readonly dir: string;
  /** Parses `file` (relative to the copy), lets `change` edit the document, writes it back. */
  edit(file: string, change: (doc: any) => void): void;
  /** Loads the copy, expects a ConfigError and returns its message. */
  loadError(): string;
}

/** Parses `file` (relative to `dir`), lets `change` edit the document, writes it back. */
export function editPolicy(dir: string, file: string, change: (doc: any) => void): void {
  const p = path.join(dir, file);
  const doc = YAML.parse(fs.readFileSync(p, 'utf8'));
  change(doc);
  fs.writeFileSync(p, YAML.stringify(doc));
}

/** Call inside a describe block: registers beforeEach/afterEach that make and remove the copy. */
export function usePolicyCopy(prefix = 'mg-pol-'): PolicyCopy {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.cpSync(POLICIES, dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    edit(file, change) {
      editPolicy(dir, file, change);
    },
    loadError() {
      try {
        loadPolicies(dir);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    },
  };
}
