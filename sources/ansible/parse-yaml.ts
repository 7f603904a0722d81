import { load, YAML11_SCHEMA, YAMLException } from 'js-yaml';
import { addHostPattern, InventoryError, type Inventory } from './inventory.js';

// Ansible's YAML inventory format (plugins/inventory/yaml.py), JSON included:
//
//   all:
//     vars: { ntp: 10.0.0.1 }
//     hosts:
//       mail.example.com:
//     children:
//       web:
//         hosts:
//           web[01:03].example.com: { http_port: 8080 }
//
// Top-level keys are groups; each group may have `vars`, `hosts` (host pattern → vars or nothing) and
// `children` (group name → the same structure). A section given as a plain string names one entry. YAML
// 1.1 is used, as Ansible's PyYAML loader does, so `yes`/`no`/`on`/`off` are booleans.
// Ansible only warns about keys other than vars/hosts/children and about groups that are not mappings;
// those are reported through `warn` and skipped. Everything else that is not a mapping is an error.

/** Parses one YAML/JSON inventory file into `inv`. @throws InventoryError naming `file` and the line. */
export function parseYamlInventory(text: string, file: string, inv: Inventory, warn: (message: string) => void): void {
  const data = loadYaml(text, file);
  if (data === null || data === undefined) return;
  if (!isMapping(data)) throw new InventoryError(file, 1, 'expected a mapping of group names at the top level');
  for (const [group, body] of Object.entries(data)) parseGroup(text, file, inv, group, body, warn);
}

/** js-yaml with Ansible's YAML 1.1 reading; syntax errors become InventoryErrors with the 1-based line. */
export function loadYaml(text: string, file: string): unknown {
  try {
    return load(text, { filename: file, schema: YAML11_SCHEMA });
  } catch (err) {
    if (err instanceof YAMLException) throw new InventoryError(file, err.mark ? err.mark.line + 1 : null, err.reason);
    throw err;
  }
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * The line where `key:` first appears at or after line `from` (1-based), for structure errors; js-yaml's
 * plain `load` keeps no positions, so this is a best effort, and null when the key is not found.
 */
export function lineOfKey(text: string, key: string, from = 1): number | null {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*(?:-\\s*)?["']?${escaped}["']?\\s*:`);
  const lines = text.split(/\r?\n/);
  for (let i = Math.max(0, from - 1); i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return null;
}

function parseGroup(text: string, file: string, inv: Inventory, name: string, body: unknown, warn: (m: string) => void, from = 1): string {
  const at = lineOfKey(text, name, from) ?? from;
  if (body !== null && !isMapping(body)) {
    warn(`${file}:${at}: skipping '${name}' as this is not a valid group definition`);
    return name;
  }
  inv.group(name);
  if (body === null) return name;
  for (const [section, raw] of Object.entries(body)) {
    const line = lineOfKey(text, section, at) ?? at;
    const value = typeof raw === 'string' ? { [raw]: null } : raw;
    if (!['vars', 'hosts', 'children'].includes(section)) {
      warn(`${file}:${line}: skipping unexpected key (${section}) in group (${name}), only "vars", "children" and "hosts" are valid`);
      continue;
    }
    if (value === null) continue;
    if (!isMapping(value)) {
      const found = Array.isArray(value) ? 'a list' : typeof value;
      throw new InventoryError(file, line, `invalid "${section}" entry for "${name}" group, requires a dictionary, found ${found} instead`);
    }
    try {
      if (section === 'vars') {
        for (const [k, v] of Object.entries(value)) inv.setGroupVar(name, k, v);
      } else if (section === 'children') {
        for (const [child, childBody] of Object.entries(value)) {
          parseGroup(text, file, inv, child, childBody, warn, line);
          inv.addChild(name, child);
        }
      } else {
        for (const [pattern, vars] of Object.entries(value)) {
          if (vars !== null && !isMapping(vars)) {
            const hostLine = lineOfKey(text, pattern, line) ?? line;
            throw new InventoryError(file, hostLine, `host '${pattern}' in group '${name}' must map to its variables (a mapping) or nothing`);
          }
          addHostPattern(inv, name, pattern, vars ?? {});
        }
      }
    } catch (err) {
      if (err instanceof InventoryError) throw err;
      throw new InventoryError(file, line, (err as Error).message);
    }
  }
  return name;
}
