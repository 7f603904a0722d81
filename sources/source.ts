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
