// The record format shared by every import and export format (CSV, JSON, YAML), and the shapes of an import's
// options, progress and summary. Documented for operators in examples/README.md.

/** Kinds of object an import file describes, one row (record) per object. */
export const IMPORT_KINDS = ['cloud', 'region', 'cell', 'host', 'network_device'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/**
 * One object to upsert, as JSON and YAML files spell it (CSV rows decode to the same shape). The hierarchy
 * is given by NAMES: a region names its cloud, a cell its cloud and region, a device its cloud, region,
 * optional cell and optional parent device. Identity (what an upsert matches on): a cloud by name in the
 * project, a region by name in its cloud, a cell by name in its region, a device by name in its region.
 *
 * A field that is absent leaves the stored value alone (on create: the default); a field given as null
 * clears it. `labels`, when given, is the device's whole label set; `vars` upserts the given keys only.
 */
export interface ImportRecord {
  kind: ImportKind | string;
  name: string;
  cloud?: string;
  region?: string;
  cell?: string | null;
  /** Name of the parent device, in the same region unless `parent_region` names another one. */
  parent?: string | null;
  parent_region?: string | null;
  ip_address?: string | null;
  /** @default 'server' for hosts, 'switch' for network devices */
  device_type?: string | null;
  /** @default true */
  active?: boolean | null;
  note?: string | null;
  labels?: string[] | null;
  vars?: Record<string, unknown> | null;
  /** Network devices only. */
  model_name?: string | null;
  os_version?: string | null;
  vlans?: unknown;
}

/** Field names a record may carry, in the order exports write them. */
export const RECORD_FIELDS = [
  'kind', 'cloud', 'region', 'cell', 'name', 'parent', 'parent_region', 'ip_address', 'device_type', 'active', 'note', 'labels',
  'model_name', 'os_version', 'vlans', 'vars',
] as const;

/**
 * One row of a source as a parser yields it: the decoded record and the line it starts on, or the reason
 * it could not be decoded (then the row is rejected without touching the store).
 */
export type SourceRow =
  | { line: number; record: ImportRecord; error?: undefined }
  | { line: number; error: string; record?: unknown };

/** What importFleet accepts: parser rows, or plain records (numbered 1, 2, 3… as their "line"). */
export type ImportInput = AsyncIterable<SourceRow | ImportRecord> | Iterable<SourceRow | ImportRecord>;

/** A rejected row: where it is, what it was, and the rule it broke. */
export interface Rejection {
  line: number;
  /** Identifies the row (kind, name and its place), without its variables. */
  record: { kind?: unknown; name?: unknown; cloud?: unknown; region?: unknown; cell?: unknown };
  reason: string;
}

export interface KindCounts {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** The outcome of an import (or of a dry run: what it would have done). */
export interface ImportSummary {
  dryRun: boolean;
  /** Rows read from the source. */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows rejected in all (`rejected` lists at most `maxRejections` of them). */
  rejectedCount: number;
  rejected: Rejection[];
  byKind: Record<ImportKind, KindCounts>;
  /** Transactions committed (one per chunk; none in a dry run). */
  chunks: number;
  elapsedMs: number;
}

/** Reported after every chunk. */
export interface ImportProgress {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** The project every object is written to. */
  projectId: number;
  source: ImportInput;
  /** Name recorded as the actor of every change record. @default 'import' */
  actor?: string;
  /** Groups this import's change records (`Change.requestId`). @default `import-<time>` */
  requestId?: string;
  /** Rows per transaction. @default 1000 */
  chunkSize?: number;
  /** Plan everything (reads only) and report what would change; writes nothing. @default false */
  dryRun?: boolean;
  /** Largest JSON value of one variable, as the API enforces it. @default 65536 */
  maxVariableBytes?: number;
  /** How many rejections the summary lists (all are counted). @default 1000 */
  maxRejections?: number;
  onProgress?: (progress: ImportProgress) => void;
}
