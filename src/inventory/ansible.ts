/**
 * The JSON that an Ansible dynamic-inventory script prints for `--list` and `--host`
 * (shared/data/ansible-inventory.md, reference §6), built from hosts whose variables are already
 * resolved. Pure: no database, no GraphQL.
 *
 * Approach: resolved variables go into `_meta.hostvars`; groups carry no `vars`. Craton's hierarchy
 * is thus flattened before Ansible sees it, and Ansible's group merge order cannot change a value.
 */
import { createHash } from 'node:crypto';
import { byCodeUnits } from './resolve.js';

/** One host to publish, with its variables already resolved (host > parents > cell > region > cloud > project). */
export interface AnsibleHost {
  name: string;
  ipAddress: string | null;
  region: string;
  cell: string | null;
  labels: readonly string[];
  vars: Record<string, unknown>;
}

/** A group as the script protocol writes it; `hosts` is always present (possibly empty) so Ansible never mistakes the group for a host. */
export interface AnsibleGroup {
  hosts: string[];
  children?: string[];
}

/** `_meta`: its presence tells Ansible not to call `--host` once per host. */
export interface AnsibleMeta {
  hostvars: Record<string, Record<string, unknown>>;
}

/** The whole `--list` document: `_meta`, `all`, `ungrouped`, then one entry per group. */
export interface AnsibleInventory {
  _meta: AnsibleMeta;
  [group: string]: AnsibleGroup | AnsibleMeta;
}

/** Names Ansible gives meaning to (plus `__proto__`, a trap for JS consumers); a source name that sanitises to one of these gets a hash suffix. */
const RESERVED = new Set(['all', 'ungrouped', '_meta', '__proto__']);

/** Where a group comes from; two groups are the same only if kind and source name are. */
interface GroupSource {
  id: string;
  kind: 'region' | 'cell' | 'label';
  display: string;
}

const KIND_RANK = { region: 0, cell: 1, label: 2 } as const;

/**
 * Builds the `ansible-inventory --list` document.
 *
 * Groups: `all` (every host, children `ungrouped` + region groups + label groups); `ungrouped`
 * (always empty, since every host has a region); one per region (hosts without a cell, children =
 * its cell groups); one per cell named `<region>_<cell>` (its hosts); one per label (its hosts).
 * Group names are sanitised ({@link sanitizeGroupName}); when distinct sources (a region and a
 * label both called `db`, or `rack-1` and `rack_1`) land on one name, the first by (unchanged name,
 * region < cell < label, source name) keeps it and the others get `_<8 hex of sha256>`, so names
 * depend only on the set of groups, never on input order. Hosts are keyed by name; hosts sharing a
 * name (possible across regions) become `<name>.<region>` (then `…_2`, `_3`). hostvars are the
 * resolved variables plus `ansible_host`: the resolved `ansible_host` variable if defined, else
 * the IP, else the real name when the key had to change. Lists are sorted; key order is stable.
 */
export function buildAnsibleInventory(hosts: readonly AnsibleHost[]): AnsibleInventory {
  const keyed = assignHostKeys(hosts);
  const sources = new Map<string, GroupSource>();
  const members = new Map<string, Set<string>>();
  const regionCells = new Map<string, Set<string>>();
  const addMember = (source: GroupSource, hostKey: string | undefined): void => {
    if (!sources.has(source.id)) sources.set(source.id, source);
    const set = members.get(source.id) ?? new Set<string>();
    if (hostKey !== undefined) set.add(hostKey);
    members.set(source.id, set);
  };

  const hostvars = new Map<string, Record<string, unknown>>();
  for (const { key, host } of keyed) {
    hostvars.set(key, hostVarsFor(key, host));
    const region: GroupSource = { id: `region\u0000${host.region}`, kind: 'region', display: host.region };
    if (host.cell === null) {
      addMember(region, key);
    } else {
      addMember(region, undefined);
      const cell: GroupSource = {
        id: `cell\u0000${host.region}\u0000${host.cell}`,
        kind: 'cell',
        display: `${host.region}_${host.cell}`,
      };
      addMember(cell, key);
      const cells = regionCells.get(region.id) ?? new Set<string>();
      regionCells.set(region.id, cells.add(cell.id));
    }
    for (const label of new Set(host.labels)) addMember({ id: `label\u0000${label}`, kind: 'label', display: label }, key);
  }

  const names = assignGroupNames([...sources.values()]);
  const groups = new Map<string, AnsibleGroup>();
  const topLevel: string[] = [];
  for (const source of sources.values()) {
    const name = names.get(source.id)!;
    const group: AnsibleGroup = { hosts: sorted(members.get(source.id) ?? []) };
    const cells = regionCells.get(source.id);
    if (cells) group.children = sorted([...cells].map((id) => names.get(id)!));
    groups.set(name, group);
    if (source.kind !== 'cell') topLevel.push(name);
  }

  // Object.fromEntries defines own properties, so no name (e.g. a host called '__proto__') reaches a prototype.
  return Object.fromEntries([
    ['_meta', { hostvars: Object.fromEntries(sorted(hostvars.keys()).map((key) => [key, hostvars.get(key)!])) }],
    ['all', { hosts: sorted(keyed.map((k) => k.key)), children: ['ungrouped', ...sorted(topLevel)] }],
    ['ungrouped', { hosts: [] }],
    ...sorted(groups.keys()).map((name) => [name, groups.get(name)!]),
  ]) as AnsibleInventory;
}

/**
 * What `--host NAME` prints: that host's hostvars, or `{}` for an unknown name (as Ansible expects).
 */
export function ansibleHostVars(inventory: AnsibleInventory, hostName: string): Record<string, unknown> {
  const hostvars = inventory._meta.hostvars;
  return Object.prototype.hasOwnProperty.call(hostvars, hostName) ? hostvars[hostName]! : {};
}

/**
 * Maps any name to Ansible's group-name rule (`[A-Za-z_][A-Za-z0-9_]*`): each other character
 * (per code point, so non-ASCII letters too) becomes `_`, a leading digit gets a `_` prefix, and
 * the empty name becomes `_`. Different names can map to the same result; callers disambiguate.
 */
export function sanitizeGroupName(name: string): string {
  const replaced = Array.from(name, (ch) => (/^[A-Za-z0-9_]$/.test(ch) ? ch : '_')).join('');
  if (replaced === '') return '_';
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/** Gives every group source a distinct valid name; see {@link buildAnsibleInventory} for the rule. */
function assignGroupNames(sources: readonly GroupSource[]): Map<string, string> {
  const byBase = new Map<string, GroupSource[]>();
  for (const source of sources) {
    const base = sanitizeGroupName(source.display);
    byBase.set(base, [...(byBase.get(base) ?? []), source]);
  }
  const names = new Map<string, string>();
  const used = new Set<string>(RESERVED);
  const losers: Array<{ base: string; source: GroupSource }> = [];
  for (const [base, group] of byBase) {
    const ranked = [...group].sort((a, b) => {
      const unchanged = Number(b.display === base) - Number(a.display === base);
      return unchanged || KIND_RANK[a.kind] - KIND_RANK[b.kind] || byCodeUnits(a.display, b.display) || byCodeUnits(a.id, b.id);
    });
    const start = RESERVED.has(base) ? 0 : 1;
    if (start === 1) {
      names.set(ranked[0]!.id, base);
      used.add(base);
    }
    for (const source of ranked.slice(start)) losers.push({ base, source });
  }
  losers.sort((a, b) => byCodeUnits(a.source.id, b.source.id));
  for (const { base, source } of losers) {
    const digest = createHash('sha256').update(`${source.kind}\u0000${source.id}`).digest('hex');
    let length = 8;
    while (used.has(`${base}_${digest.slice(0, length)}`)) length += 2;
    names.set(source.id, `${base}_${digest.slice(0, length)}`);
    used.add(`${base}_${digest.slice(0, length)}`);
  }
  return names;
}

/** Pairs each host with its inventory key: its name, unless another host has the same name. */
function assignHostKeys(hosts: readonly AnsibleHost[]): Array<{ key: string; host: AnsibleHost }> {
  const count = new Map<string, number>();
  for (const host of hosts) count.set(host.name, (count.get(host.name) ?? 0) + 1);
  const used = new Set(hosts.filter((h) => count.get(h.name) === 1).map((h) => h.name));
  const ordered = [...hosts].sort(
    (a, b) =>
      byCodeUnits(a.name, b.name) ||
      byCodeUnits(a.region, b.region) ||
      byCodeUnits(a.cell ?? '', b.cell ?? '') ||
      byCodeUnits(a.ipAddress ?? '', b.ipAddress ?? ''),
  );
  return ordered.map((host) => {
    if (count.get(host.name) === 1) return { key: host.name, host };
    let key = `${host.name}.${host.region}`;
    for (let n = 2; used.has(key); n++) key = `${host.name}.${host.region}_${n}`;
    used.add(key);
    return { key, host };
  });
}

/** The resolved variables plus `ansible_host`, keys sorted. */
function hostVarsFor(key: string, host: AnsibleHost): Record<string, unknown> {
  const vars: Record<string, unknown> = Object.fromEntries(Object.entries(host.vars));
  if (!Object.prototype.hasOwnProperty.call(vars, 'ansible_host')) {
    if (host.ipAddress) vars['ansible_host'] = host.ipAddress;
    else if (key !== host.name) vars['ansible_host'] = host.name;
  }
  return sortedRecord(vars);
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(sorted(Object.keys(record)).map((key) => [key, record[key]!])) as Record<string, T>;
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort(byCodeUnits);
}
