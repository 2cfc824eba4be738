/**
 * A throw-away copy of the repository for tests that change it (make new-bff): every file but node_modules, .git
 * and scratch folders, with node_modules rebuilt as links to this checkout's packages — except the @portico
 * workspace links, which point into the copy, as npm would make them.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const SKIPPED = new Set(['node_modules', '.git', '.tmp', '.local', '.bench-out', 'coverage']);

/** A copy of `root` and how to remove it. */
export interface RepoCopy {
  dir: string;
  remove(): void;
}

/** Copies `root` (build output included, so only what changes is rebuilt) into a temp dir. */
export function copyRepo(root: string): RepoCopy {
  const dir = mkdtempSync(join(tmpdir(), 'portico-repo-'));
  cpSync(root, dir, { recursive: true, filter: (source) => !SKIPPED.has(basename(source)) });
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@portico'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === '@portico') continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  for (const entry of readdirSync(join(root, 'node_modules', '@portico'))) {
    symlinkSync(readlinkSync(join(root, 'node_modules', '@portico', entry)), join(modules, '@portico', entry));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
