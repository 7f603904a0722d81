import { isIP } from 'node:net';
import type { HostRecord, Placement } from '../source.js';
import type { Ci } from './client.js';
import type { OneOpsConfig, OneOpsPlacementLevel } from './config.js';
import { sortedLabels } from '../listing.js';

// CI → HostRecord. The rules, in the order an operator asks about them:
//
// - key: the ciId, as a string. Stable for the CI's life; a CI deleted and re-created is a new host.
// - name: the `mapping.nameAttribute` attribute when set and non-empty, else the ciName.
// - ipAddress: the first of `mapping.ipAttributes` (default public_ip, then private_ip) holding a valid
//   IPv4/IPv6 address; null when none does.
// - attributes: every ciAttribute. OneOps stores every value as a string and JSON-encodes hash, array and
//   struct values inside it, so a value is decoded when it is a JSON object or array; anything else stays
//   the string it was ("42", "true" and "null" included: OneOps cannot tell the number 42 from the text,
//   and guessing would change a host's variables when someone types a digit). Configured relations add one
//   attribute each: the ciNames of the far-side CIs, sorted (it replaces an attribute of the same name).
// - labels: the altNs tag names (when `mapping.labelsFromAltNs`) plus the `mapping.labelsAttribute` values,
//   sorted and unique.
// - placement: per level, a fixed name, an nsPath segment or an attribute, then the level's `map`.
// - active: false when the ciState is one of `mapping.inactiveStates` (default pending_deletion).
// - createdAt / updatedAt: OneOps's created / updated (epoch ms on the wire).

/** `"{\"a\":1}"` → `{a: 1}`; `"[1]"` → `[1]`; every other string (including `"42"`) unchanged. */
export function decodeAttribute(value: string): unknown {
  const t = value.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' ? parsed : value;
  } catch {
    return value;
  }
}

/** A value read for placement or labels as one string: strings as they are, numbers printed, a list's first. */
function asName(value: unknown): string | undefined {
  if (Array.isArray(value)) return asName(value[0]);
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function placeLevel(level: OneOpsPlacementLevel | undefined, ci: Ci, attributes: Record<string, unknown>): string | undefined {
  if (level === undefined) return undefined;
  if (typeof level === 'string') return level;
  const found = 'fromNsPathSegment' in level ? asName(ci.nsPath.split('/')[level.fromNsPathSegment]) : asName(attributes[level.fromAttribute]);
  if (found === undefined) return undefined;
  return level.map?.[found] ?? found;
}

/** Label names from an attribute: a list of names, a comma-separated string, or an object as `key:value`. */
function labelsFrom(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim());
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' || typeof v === 'number' ? [String(v).trim()] : []));
  if (value && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => (v === null || v === '' || typeof v === 'object' ? k : `${k}:${String(v)}`));
  }
  return [];
}

/**
 * Maps one CI to a host record by the rules above. `related` holds the configured relations' far-side
 * ciNames by attribute name (absent: the CI has none).
 */
export function ciToHost(ci: Ci, config: OneOpsConfig, related: Record<string, string[]> = {}): HostRecord {
  const { mapping, placement } = config;
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ci.ciAttributes)) attributes[k] = decodeAttribute(v);
  for (const relation of config.relations) attributes[relation.attribute] = [...(related[relation.attribute] ?? [])].sort();

  const named = mapping.nameAttribute === undefined ? undefined : asName(ci.ciAttributes[mapping.nameAttribute]);
  let ipAddress: string | null = null;
  for (const attr of mapping.ipAttributes) {
    const candidate = ci.ciAttributes[attr]?.trim();
    if (candidate && isIP(candidate)) {
      ipAddress = candidate;
      break;
    }
  }
  const labels = [
    ...(mapping.labelsFromAltNs ? Object.keys(ci.altNs) : []),
    ...(mapping.labelsAttribute === undefined ? [] : labelsFrom(attributes[mapping.labelsAttribute])),
  ];
  const where: Placement = {};
  for (const level of ['cloud', 'region', 'cell'] as const) {
    const value = placeLevel(placement[level], ci, attributes);
    if (value !== undefined) where[level] = value;
  }
  return {
    key: String(ci.ciId),
    name: named ?? ci.ciName,
    ipAddress,
    deviceType: mapping.deviceType,
    active: !mapping.inactiveStates.includes(ci.ciState ?? ''),
    labels: sortedLabels(labels),
    attributes,
    placement: where,
    createdAt: ci.created,
    updatedAt: ci.updated,
  };
}

/** Whether a class name configured as `wanted` matches the CI's class (short names match the last part). */
export function classMatches(wanted: string, ciClassName: string): boolean {
  return wanted.includes('.') ? wanted === ciClassName : ciClassName.slice(ciClassName.lastIndexOf('.') + 1) === wanted;
}

/** Whether `nsPath` is the configured namespace (or, recursive, below it), as OneOps's `likefyNsPath` does. */
export function inNamespace(nsPath: string, root: string, recursive: boolean): boolean {
  if (nsPath === root) return true;
  return recursive && nsPath.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** Whether a CI fetched by id is one of this source's hosts (right class, right namespace). */
export function isHostCi(ci: Ci, config: OneOpsConfig): boolean {
  const { nsPath, recursive, classes } = config.connection;
  return inNamespace(ci.nsPath, nsPath, recursive) && classes.some((c) => classMatches(c, ci.ciClassName));
}
