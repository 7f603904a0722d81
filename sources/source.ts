import type { PageRequest } from '../src/pagination.js';

/** How a source is doing, as `sources { status }` shows it. */
export interface SourceHealth {
  status: 'UP' | 'DEGRADED' | 'DOWN';
  lastError: string | null;
  latencyMs: number | null;
}

/** A parsed Craton variable-search pair (see src/inventory/vars-query.ts). */
export interface VarsPair {
  key: string;
  /** MySQL JSON path on the value, e.g. `$` or `$.disks[*].vendor`. */
  path: string;
  /** Canonical JSON text of the candidate value. */
  candidateJson: string;
}

/** A device filter with ids already decoded to the source's keys (null: the id names nothing here). */
export interface DeviceCriteria {
  projectId: number;
  kind?: 'host' | 'network_device';
  cloudId?: number | null;
  regionId?: number | null;
  cellId?: number | null;
  parentId?: number | null;
  name?: string;
  nameContains?: string;
  ipAddress?: string;
  deviceType?: string;
  active?: boolean;
  /** All of these labels. */
  labels?: string[];
  /** ANDed variable-search pairs. */
  vars?: VarsPair[];
  /** Match resolved variables (true) or the devices' own (false). */
  resolved?: boolean;
}

/** One page of a source's listing; the count is computed only when asked for. */
export interface SourcePage<T> {
  rows: T[];
  count: () => Promise<number>;
}

/**
 * What every source of devices offers the federation core, in the spirit of a Backstage provider: a stable
 * name (used in ids and provenance), a kind, whether we may write to it, paged listing with a filter, and
 * health. The gateway owns timeouts and isolation; a source reports failures by throwing (for a listing)
 * or with an Error in the slot of a key (for batched reads).
 */
export interface Source<T> {
  readonly name: string;
  readonly kind: string;
  readonly readOnly: boolean;
  /** Lists devices matching `criteria` in key order, `page.first + 1` rows at most. */
  listDevices(criteria: DeviceCriteria, page: PageRequest): Promise<SourcePage<T>>;
  /** Loads devices by key; each slot is the record, null when missing, or an Error. */
  loadDevices(projectId: number, keys: readonly number[]): Promise<Array<T | null | Error>>;
  health(): Promise<SourceHealth>;
}

// ---------------------------------------------------------------------------------------------------------
// External sources (federation): read-only CMDBs and inventories whose hosts appear in the same graph.
// ---------------------------------------------------------------------------------------------------------

/** Where an external host sits in Craton's hierarchy, by name, after the source's configured mapping. */
export interface Placement {
  cloud?: string;
  region?: string;
  cell?: string;
}

/** A host as an external source reports it: source-neutral, JSON-serialisable. */
export interface HostRecord {
  /** Stable key within the source (OneOps ciId, Ansible inventory hostname, ...); part of the global id. */
  key: string;
  name: string;
  ipAddress: string | null;
  /** @default 'server' */
  deviceType: string;
  /** @default true */
  active: boolean;
  /** Labels the source itself provides (e.g. Ansible group names), sorted, unique. */
  labels: string[];
  /** The source's own variables for the host (decoded JSON values). */
  attributes: Record<string, unknown>;
  placement: Placement;
  createdAt?: Date | null;
  updatedAt?: Date | null;
}

/** Filters an external source may push down; the gateway applies the rest in memory. */
export interface HostFilter {
  name?: string;
  nameContains?: string;
  ipAddress?: string;
  deviceType?: string;
  active?: boolean;
  /** All of these source labels. */
  labels?: string[];
}

/** What a source can do, so the gateway knows what to push down. */
export interface SourceCapabilities {
  /** Filter fields the source applies itself. */
  filters: ReadonlyArray<keyof HostFilter>;
  readOnly: true;
}

/** One page of an external listing; `nextCursor` is opaque to the gateway (null: no more). */
export interface HostPage {
  hosts: HostRecord[];
  nextCursor: string | null;
}

/** Everything a source factory may need, injected (never reached for as globals). */
export interface SourceDeps {
  fetch: typeof fetch;
  logger: import('../src/logger.js').Logger;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  /** Reads credentials named in the config (`passwordEnv: ONEOPS_PASSWORD`). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * An external source of hosts. Implementations do their own I/O but not their own isolation: the gateway
 * wraps every call with the configured timeout, a per-request DataLoader and an optional TTL cache, and
 * turns a failure into SOURCE_UNAVAILABLE on that source's part of the answer only.
 */
export interface ExternalSource {
  readonly name: string;
  readonly kind: string;
  readonly capabilities: SourceCapabilities;
  /** Lists hosts matching `filter` (pushed-down fields only need to be honoured), `limit` at most, from `cursor`. */
  list(filter: HostFilter, page: { limit: number; cursor: string | null }, signal?: AbortSignal): Promise<HostPage>;
  /** Loads hosts by key; each slot holds the record, null when the source has no such host, or an Error. */
  load(keys: readonly string[], signal?: AbortSignal): Promise<Array<HostRecord | null | Error>>;
  /** Probes the source cheaply. */
  health(signal?: AbortSignal): Promise<SourceHealth>;
  /** Releases timers, watchers and connections. */
  close?(): Promise<void>;
}
