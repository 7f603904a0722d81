// The inventory as Ansible builds it in memory (InventoryData): groups with vars, children and hosts;
// hosts with vars. Parsers of every file format write into one Inventory, in file order, so a later file
// overrides an earlier one exactly as `-i dir/` does. `resolve` then answers what a playbook would see for
// each host: the groups it belongs to and its variables after Ansible's merge order.

/** A parse or structure problem, located: `inventory/hosts.ini:12: Expected key=value, got: foo`. */
export class InventoryError extends Error {
  override name = 'InventoryError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${reason}`);
  }
}

export interface Group {
  name: string;
  vars: Record<string, unknown>;
  /** `ansible_group_priority`: among groups of the same depth, higher merges later and wins. @default 1 */
  priority: number;
  children: Set<string>;
  parents: Set<string>;
  hosts: Set<string>;
}

export interface InventoryHost {
  name: string;
  vars: Record<string, unknown>;
}

/** Variables from `group_vars/` and `host_vars/` files, by group or host name, each already merged in file order. */
export interface VarsFiles {
  groups: Map<string, Record<string, unknown>>;
  hosts: Map<string, Record<string, unknown>>;
}

/** A host as a playbook would see it. */
export interface ResolvedHost {
  name: string;
  /** Every group it belongs to, directly or through children, without `all` and `ungrouped`; sorted. */
  groups: string[];
  vars: Record<string, unknown>;
}

export class Inventory {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, InventoryHost>();

  constructor() {
    this.group('all');
    this.group('ungrouped');
  }

  /** The group called `name`, created on first mention. */
  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, vars: {}, priority: 1, children: new Set(), parents: new Set(), hosts: new Set() };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Adds `host` to `group` (creating both), then sets `vars` on the host; later values win. */
  addHost(group: string, host: string, vars: Record<string, unknown> = {}): void {
    this.group(group).hosts.add(host);
    let h = this.hosts.get(host);
    if (!h) {
      h = { name: host, vars: {} };
      this.hosts.set(host, h);
    }
    Object.assign(h.vars, vars);
  }

  /** Makes `child` a child of `parent`; refuses a cycle (Ansible: "Adding group X as child to Y creates a recursive dependency loop"). */
  addChild(parent: string, child: string): void {
    if (parent === child || this.ancestors(parent).has(child)) {
      throw new Error(`adding group '${child}' as a child of '${parent}' creates a dependency loop`);
    }
    this.group(parent).children.add(child);
    this.group(child).parents.add(parent);
  }

  /** Sets a group variable; `ansible_group_priority` sets the priority instead, as Group.set_variable does. */
  setGroupVar(group: string, key: string, value: unknown): void {
    const g = this.group(group);
    if (key === 'ansible_group_priority') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`ansible_group_priority of '${group}' must be an integer, got ${JSON.stringify(value)}`);
      g.priority = n;
    } else {
      g.vars[key] = value;
    }
  }

  /** Every group above `name` (not including it). */
  ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const walk = (n: string) => {
      for (const p of this.groups.get(n)?.parents ?? []) {
        if (!seen.has(p)) {
          seen.add(p);
          walk(p);
        }
      }
    };
    walk(name);
    return seen;
  }

  /**
   * Every host with its groups and merged variables, as Ansible's VariableManager computes them, lowest
   * precedence first (later wins, dicts replaced, not merged):
   *
   * 1. the inventory's `all` vars, then `group_vars/all`;
   * 2. every other group of the host, ordered by depth (parents before children), then
   *    `ansible_group_priority`, then name in ASCII order: first their inventory vars, then their
   *    `group_vars/<group>` files in the same order;
   * 3. the inventory's host vars, then `host_vars/<host>`.
   *
   * Like Ansible's reconcile step, a group with no parent is a child of `all`, and a host in no group is
   * in `ungrouped`.
   */
  resolve(files: VarsFiles = { groups: new Map(), hosts: new Map() }): ResolvedHost[] {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.size === 0) this.addChild('all', g.name);
    }
    const memberOf = new Map<string, Set<string>>();
    for (const g of this.groups.values()) {
      for (const h of g.hosts) {
        const set = memberOf.get(h) ?? new Set<string>();
        set.add(g.name);
        for (const a of this.ancestors(g.name)) set.add(a);
        memberOf.set(h, set);
      }
    }
    const depth = this.depths();
    const order = (a: Group, b: Group) => depth.get(a.name)! - depth.get(b.name)! || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const out: ResolvedHost[] = [];
    for (const host of this.hosts.values()) {
      const groups = memberOf.get(host.name) ?? new Set<string>();
      if ([...groups].every((g) => g === 'all')) {
        this.group('ungrouped').hosts.add(host.name);
        groups.add('ungrouped');
        groups.add('all');
      }
      const sorted = [...groups].filter((g) => g !== 'all').map((g) => this.groups.get(g)!).sort(order);
      const vars: Record<string, unknown> = { ...this.group('all').vars, ...files.groups.get('all') };
      for (const g of sorted) Object.assign(vars, g.vars);
      for (const g of sorted) Object.assign(vars, files.groups.get(g.name));
      Object.assign(vars, host.vars, files.hosts.get(host.name));
      out.push({ name: host.name, groups: sorted.map((g) => g.name).filter((g) => g !== 'ungrouped').sort(), vars });
    }
    return out;
  }

  /** Group.depth: `all` is 0, a child is one deeper than its deepest parent. */
  private depths(): Map<string, number> {
    const depth = new Map<string, number>();
    const of = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const parents = [...(this.groups.get(name)?.parents ?? [])];
      const d = name === 'all' || parents.length === 0 ? 0 : 1 + Math.max(...parents.map(of));
      depth.set(name, d);
      return d;
    };
    for (const name of this.groups.keys()) of(name);
    return depth;
  }
}

/**
 * Expands Ansible host ranges: `web[01:03].example.com` → web01, web02, web03 (zero-padded as the start
 * is), `db-[a:c]`, `node[0:10:5]` with a step, several ranges in one name. A name without a range comes
 * back alone.
 *
 * @throws Error with Ansible's wording when a range is malformed.
 */
export function expandHostRange(pattern: string): string[] {
  const m = /^([^[]*)\[([^\]]*:[^\]]*)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, range, tail] = m as unknown as [string, string, string, string];
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error('host range must be begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new Error('host range must specify end value');
  if (!Number.isInteger(step) || step < 1) throw new Error(`host range step must be a positive integer, got '${bounds[2]}'`);
  let seq: string[];
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const [i, j] = [letters.indexOf(beg), letters.indexOf(end)];
    if (i > j) throw new Error('host range must have begin <= end');
    seq = [];
    for (let k = i; k <= j; k += step) seq.push(letters[k]!);
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw new Error(`host range [${range}] must be numbers or single letters`);
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && width !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    seq = [];
    for (let k = Number(beg); k <= Number(end); k += step) seq.push(String(k).padStart(width, '0'));
    if (seq.length > 100_000) throw new Error(`host range [${range}] expands to more than 100000 hosts`);
  }
  return seq.flatMap((s) => expandHostRange(`${head}${s}${tail}`));
}

/**
 * Splits `host:port` (ranges allowed in the host, `[v6addr]:port` for IPv6) as Ansible's parse_address
 * does; a bare IPv6 address has no port.
 */
export function splitPort(pattern: string): { host: string; port: number | null } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(pattern);
  if (v6) return { host: v6[1]!, port: Number(v6[2]) };
  const m = /^((?:[^:[\]]|\[[^\]]*\])+):(\d+)$/.exec(pattern);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: pattern, port: null };
}

/** Adds the hosts of one host pattern to `group`: ranges expanded, `:port` becoming `ansible_port`. */
export function addHostPattern(inv: Inventory, group: string, pattern: string, vars: Record<string, unknown>): void {
  const { host, port } = splitPort(pattern);
  for (const name of expandHostRange(host)) inv.addHost(group, name, port === null ? vars : { ansible_port: port, ...vars });
}
