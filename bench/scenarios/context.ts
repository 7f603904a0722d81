import type { Gateway } from '../../src/server.js';
import type { Endpoint } from '../lib/client.js';
import type { ResultRow } from '../lib/results.js';
import type { BenchStore, RawDb } from '../lib/store.js';

/** What every scenario gets: a gateway serving a built fleet, and a raw connection for its baseline. */
export interface ScenarioContext {
  store: BenchStore;
  /** 'SQLite' or 'MariaDB', as the table prints it. */
  storeName: string;
  gateway: Gateway;
  ep: Endpoint;
  raw: RawDb;
  projectId: number;
  hosts: number;
  seed: number;
  quick: boolean;
  log(message: string): void;
}

export function sizeLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

export type Row = ResultRow;
