import { addHostPattern, InventoryError, type Inventory } from './inventory.js';
import { parsePythonLiteral } from './python-literal.js';

// Ansible's INI inventory format, as plugins/inventory/ini.py reads it:
//
//   host1 ansible_host=10.0.0.1            # before any section: group "ungrouped"
//   [web]                                  # hosts of group web
//   web[01:03].example.com:2222 role=web   # a range, a port (→ ansible_port), host vars k=v (shlex-quoted)
//   [web:vars]                             # group vars, one `key = value` per line (not shlex-split)
//   http_port = 80
//   [prod:children]                        # child groups, one per line
//   web
//
// Lines starting with # or ; are comments. Values go through Python's literal_eval as in Ansible: 80 is a
// number, True a boolean, "x" (quoted, in a [vars] section) the string x, [1, 2] a list; anything that is
// not a Python literal stays the text it was. A group named in [x:children] or [x:vars] before it is
// declared is created (Ansible ≥ 2.4 accepts it too).

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

/** Parses one INI inventory file into `inv`. @throws InventoryError naming `file` and the line. */
export function parseIniInventory(text: string, file: string, inv: Inventory): void {
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const fail = (reason: string): never => {
      throw new InventoryError(file, i + 1, reason);
    };
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const section = SECTION.exec(line);
    if (section) {
      group = section[1]!;
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') fail(`Section [${group}:${kind}] has unknown type: ${kind}`);
      state = kind as typeof state;
      inv.group(group);
      continue;
    }
    if (line.startsWith('[')) {
      fail(`Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`);
    }

    try {
      if (state === 'hosts') {
        const tokens = shlexSplit(line);
        if (tokens.length === 0) continue;
        const vars: Record<string, unknown> = {};
        for (const token of tokens.slice(1)) {
          const eq = token.indexOf('=');
          if (eq <= 0) fail(`Expected key=value host variable assignment, got: ${token}`);
          vars[token.slice(0, eq)] = parsePythonLiteral(token.slice(eq + 1));
        }
        addHostPattern(inv, group, tokens[0]!, vars);
      } else if (state === 'vars') {
        const eq = line.indexOf('=');
        if (eq < 0) fail(`Expected key=value, got: ${line}`);
        const key = line.slice(0, eq).trim();
        if (key === '') fail(`Expected key=value, got: ${line}`);
        inv.setGroupVar(group, key, parsePythonLiteral(line.slice(eq + 1).trim()));
      } else {
        const child = line.split(/\s+[#;]/)[0]!.trim();
        if (/\s/.test(child)) fail(`Expected one group name per line in [${group}:children], got: ${line}`);
        inv.addChild(group, child);
      }
    } catch (err) {
      if (err instanceof InventoryError) throw err;
      fail((err as Error).message);
    }
  }
}

/**
 * Python's `shlex.split(line, comments=True)` in POSIX mode: whitespace separates words, '…' is literal,
 * "…" honours backslash escapes of \\ \" \$ and \`, a backslash outside quotes escapes the next character,
 * and # at the start of a word starts a comment.
 *
 * @throws Error "No closing quotation" / "No escaped character", as shlex does.
 */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('No closing quotation');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '\\"$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      if (j >= line.length) throw new Error('No closing quotation');
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('No escaped character');
      word += line[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
