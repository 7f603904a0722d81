import { CratonError } from '../errors.js';
import { checkIp, checkLabels, checkName, checkNote, checkShort, checkVariables } from '../inventory/validate.js';
import { IMPORT_KINDS, RECORD_FIELDS, type ImportKind, type ImportRecord, type Rejection } from './types.js';

// Turns a decoded record into what the planner needs, with the API's own validators (src/inventory/validate.ts):
// a row that breaks a rule is rejected with the validator's message, before any SQL.

interface Base {
  line: number;
  name: string;
  /** undefined: leave as stored (default on create); null: clear. */
  note: string | null | undefined;
  /** Serialised [key, JSON text] pairs to upsert. */
  vars: Array<[string, string]>;
}

export interface CloudRecord extends Base { kind: 'cloud' }
export interface RegionRecord extends Base { kind: 'region'; cloud: string }
export interface CellRecord extends Base { kind: 'cell'; cloud: string; region: string }
export interface DeviceRecord extends Base {
  kind: 'host' | 'network_device';
  cloud: string;
  region: string;
  cell: string | null | undefined;
  parent: string | null | undefined;
  parentRegion: string | null | undefined;
  ipAddress: string | null | undefined;
  deviceType: string | undefined;
  active: boolean | undefined;
  labels: string[] | undefined;
  modelName: string | null | undefined;
  osVersion: string | null | undefined;
  /** JSON text, null to clear. */
  vlans: string | null | undefined;
}
export type NormalRecord = CloudRecord | RegionRecord | CellRecord | DeviceRecord;

/** A row the importer will not write, with the reason; thrown by normalize, caught per row. */
export class RowError extends Error {
  override name = 'RowError';
}

const KNOWN = new Set<string>(RECORD_FIELDS);
const DEVICE_ONLY = ['cell', 'parent', 'parent_region', 'ip_address', 'device_type', 'active', 'labels', 'model_name', 'os_version', 'vlans'] as const;
const NETWORK_ONLY = ['model_name', 'os_version', 'vlans'] as const;

/** Validates one record; throws RowError saying which rule it broke. */
export function normalize(line: number, input: unknown, maxVariableBytes: number): NormalRecord {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new RowError(`a row must be an object with a kind and a name, got ${Array.isArray(input) ? 'an array' : JSON.stringify(input)}`);
  }
  const r = input as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new RowError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${RECORD_FIELDS.join(', ')})`);
  const kind = r.kind;
  if (typeof kind !== 'string' || !(IMPORT_KINDS as readonly string[]).includes(kind)) {
    throw new RowError(`kind must be one of ${IMPORT_KINDS.join(', ')}, got ${JSON.stringify(kind ?? null)}`);
  }
  const notFor = (fields: readonly string[]) => fields.filter((f) => r[f] != null);
  const misplaced = kind === 'host' ? notFor(NETWORK_ONLY) : kind === 'network_device' ? [] : notFor(DEVICE_ONLY);
  if (kind === 'cloud' && r.cloud != null) misplaced.unshift('cloud');
  if ((kind === 'cloud' || kind === 'region') && r.region != null) misplaced.unshift('region');
  if (misplaced.length) throw new RowError(`a ${kind} row cannot have ${misplaced.join(', ')}`);
  return guard(() => {
    const base: Base = {
      line,
      name: checkName(text(r, 'name') as string, 'name'),
      note: r.note === undefined ? undefined : checkNote(text(r, 'note', true)),
      vars: r.vars == null ? [] : checkVariables(r.vars, maxVariableBytes, 'vars'),
    };
    if (kind === 'cloud') return { ...base, kind };
    const cloud = checkName(required(r, 'cloud', kind), 'cloud');
    if (kind === 'region') return { ...base, kind, cloud };
    const region = checkName(required(r, 'region', kind), 'region');
    if (kind === 'cell') return { ...base, kind, cloud, region };
    const optionalName = (field: string) => (r[field] === undefined ? undefined : r[field] === null ? null : checkName(text(r, field) as string, field));
    if (r.parent_region != null && r.parent == null) throw new RowError('parent_region needs parent');
    const device: DeviceRecord = {
      ...base,
      kind: kind as 'host' | 'network_device',
      cloud,
      region,
      cell: optionalName('cell'),
      parent: optionalName('parent'),
      parentRegion: optionalName('parent_region'),
      ipAddress: r.ip_address === undefined ? undefined : checkIp(text(r, 'ip_address', true), 'ip_address'),
      deviceType: r.device_type == null ? undefined : checkShort(text(r, 'device_type'), 'device_type')!,
      active: r.active == null ? undefined : bool(r.active),
      labels: r.labels === undefined ? undefined : checkLabels(labelList(r.labels)),
      modelName: r.model_name === undefined ? undefined : checkShort(text(r, 'model_name', true), 'model_name'),
      osVersion: r.os_version === undefined ? undefined : checkShort(text(r, 'os_version', true), 'os_version'),
      vlans: r.vlans === undefined ? undefined : r.vlans === null ? null : JSON.stringify(r.vlans),
    };
    if (device.parent != null && device.parent === device.name && (device.parentRegion ?? device.region) === device.region) {
      throw new RowError(`parent: a device cannot be its own parent ('${device.name}')`);
    }
    return device;
  });
}

/** Runs validators, turning the API's InputError into a row rejection with the same message. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CratonError) throw new RowError(err.message);
    throw err;
  }
}

function text(r: Record<string, unknown>, field: string, nullable = false): string | null {
  const v = r[field];
  if (v === null && nullable) return null;
  if (typeof v !== 'string') {
    throw new RowError(`${field} must be a string, got ${v === undefined ? 'nothing' : `${typeof v} ${JSON.stringify(v)}`}${typeof v === 'number' ? ' (quote it)' : ''}`);
  }
  return v;
}

function required(r: Record<string, unknown>, field: string, kind: string): string {
  if (r[field] == null || r[field] === '') throw new RowError(`a ${kind} row needs ${field} (the name of its ${field})`);
  return text(r, field) as string;
}

function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw new RowError(`active must be true or false, got ${JSON.stringify(v)}`);
}

function labelList(v: unknown): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.some((l) => typeof l !== 'string')) throw new RowError(`labels must be a list of strings, got ${JSON.stringify(v)}`);
  return v as string[];
}

/** The identifying part of a row, for the summary (never its variables). */
export function identify(record: unknown): Rejection['record'] {
  if (record === null || typeof record !== 'object') return {};
  const r = record as Record<string, unknown>;
  const out: Rejection['record'] = {};
  for (const k of ['kind', 'name', 'cloud', 'region', 'cell'] as const) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

/** Within-chunk identity: two rows with the same key would write the same object. */
export function identityKey(rec: NormalRecord): string {
  switch (rec.kind) {
    case 'cloud': return `c\0${rec.name}`;
    case 'region': return `r\0${rec.cloud}\0${rec.name}`;
    case 'cell': return `l\0${rec.cloud}\0${rec.region}\0${rec.name}`;
    default: return `d\0${rec.cloud}\0${rec.region}\0${rec.name}`;
  }
}

export type { ImportKind, ImportRecord };
