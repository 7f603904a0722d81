import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Inventory, InventoryError, type ResolvedHost, type VarsFiles } from './inventory.js';
import { parseIniInventory } from './parse-ini.js';
import { isMapping, loadYaml, parseYamlInventory } from './parse-yaml.js';

// Finding and reading the files of an inventory the way `ansible -i PATH` does: PATH is one file or a
// directory read in ASCII filename order (subdirectories recursively, later files overriding earlier
// ones), skipping hidden entries and the extensions Ansible ignores; `group_vars/` and `host_vars/` next to
// a file inventory (inside a directory inventory) hold YAML variables per group and per host.

/** Extensions Ansible's INVENTORY_IGNORE_EXTS skips by default (plus `~` backups). */
const IGNORED_EXTENSIONS = new Set(['.pyc', '.pyo', '.swp', '.bak', '.rpm', '.md', '.txt', '.rst', '.orig', '.cfg', '.retry']);
/** Files the vars plugin reads in group_vars/ and host_vars/. */
const VARS_EXTENSIONS = new Set(['', '.yml', '.yaml', '.json']);

function ignored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || IGNORED_EXTENSIONS.has(extname(name).toLowerCase());
}

/** The files an inventory consists of, and a fingerprint of their state to notice any change. */
export interface InventoryFiles {
  inventory: string[];
  groupVars: Map<string, string[]>;
  hostVars: Map<string, string[]>;
  /** Path, size, mtime and inode of every file and directory involved: equal fingerprints, same inventory. */
  fingerprint: string;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lists the inventory's files with a stat of each (no reads): cheap enough to run before every call.
 *
 * @throws Error naming `path` when it does not exist or cannot be read.
 */
export async function findInventoryFiles(path: string): Promise<InventoryFiles> {
  const marks: string[] = [];
  const mark = async (p: string) => {
    const s = await stat(p);
    marks.push(`${p}\0${s.size}\0${s.mtimeMs}\0${s.ino}`);
    return s;
  };
  const root = await mark(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`${path}: cannot read the inventory (${err.code ?? err.message})`);
  });
  const inventory: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort(byName)) {
      if (ignored(name) || name === 'group_vars' || name === 'host_vars' || name === 'vars_plugins') continue;
      const full = join(dir, name);
      const s = await mark(full);
      if (s.isDirectory()) await walk(full);
      else if (s.isFile()) inventory.push(full);
    }
  };
  if (root.isDirectory()) await walk(path);
  else inventory.push(path);

  const base = root.isDirectory() ? path : dirname(path);
  const varsDir = async (kind: 'group_vars' | 'host_vars'): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    const dir = join(base, kind);
    const entries = await readdir(dir).catch(() => null);
    if (entries === null) return out;
    await mark(dir);
    const collect = async (p: string, into: string[]): Promise<void> => {
      const s = await mark(p);
      if (s.isDirectory()) {
        for (const n of (await readdir(p)).sort(byName)) if (!ignored(n)) await collect(join(p, n), into);
      } else if (s.isFile() && VARS_EXTENSIONS.has(extname(p).toLowerCase())) {
        into.push(p);
      }
    };
    for (const name of entries.sort(byName)) {
      if (ignored(name)) continue;
      const ext = extname(name).toLowerCase();
      const key = VARS_EXTENSIONS.has(ext) ? basename(name, extname(name)) : name;
      const files = out.get(key) ?? [];
      await collect(join(dir, name), files);
      if (files.length > 0) out.set(key, files);
    }
    return out;
  };
  const groupVars = await varsDir('group_vars');
  const hostVars = await varsDir('host_vars');
  return { inventory, groupVars, hostVars, fingerprint: marks.join('\n') };
}

/**
 * Reads and parses every file of `files` into one inventory and resolves its hosts. A file is YAML when
 * its extension is .yml, .yaml or .json, INI when it has another one; without an extension it is YAML if
 * it parses as a YAML mapping, INI otherwise (Ansible tries the yaml plugin, then ini).
 *
 * @throws InventoryError naming the file and line of the first problem.
 */
export async function readInventory(files: InventoryFiles, warn: (message: string) => void): Promise<ResolvedHost[]> {
  const inv = new Inventory();
  for (const file of files.inventory) {
    const text = await readFile(file, 'utf8');
    const ext = extname(file).toLowerCase();
    if (ext === '.yml' || ext === '.yaml' || ext === '.json') parseYamlInventory(text, file, inv, warn);
    else if (ext === '' && looksLikeYamlInventory(text, file)) parseYamlInventory(text, file, inv, warn);
    else parseIniInventory(text, file, inv);
  }
  const vars: VarsFiles = { groups: await readVars(files.groupVars), hosts: await readVars(files.hostVars) };
  try {
    return inv.resolve(vars);
  } catch (err) {
    throw new InventoryError(files.inventory[0] ?? '(inventory)', null, (err as Error).message);
  }
}

function looksLikeYamlInventory(text: string, file: string): boolean {
  try {
    return isMapping(loadYaml(text, file));
  } catch {
    return false;
  }
}

/** Each name's files merged in order (later keys win); a file must hold a mapping or nothing. */
async function readVars(files: Map<string, string[]>): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, paths] of files) {
    const merged: Record<string, unknown> = {};
    for (const p of paths) {
      const data = loadYaml(await readFile(p, 'utf8'), p);
      if (data === null || data === undefined) continue;
      if (!isMapping(data)) throw new InventoryError(p, 1, 'expected a mapping of variable names to values');
      Object.assign(merged, data);
    }
    out.set(name, merged);
  }
  return out;
}
