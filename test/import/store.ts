// A migrated store for import/export tests: SQLite in a temp dir, or a fresh database on CRATON_TEST_MYSQL_URL's
// server, bootstrapped like a first gateway start (project `default`, root user). No gateway.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { bootstrap } from '../../src/auth/admin.js';
import type { ImportRecord } from '../../src/import/types.js';
import { createCoreDataSource } from '../../src/inventory/data-source.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/data-source.js';
import { createTestDatabase, type StoreKind } from '../helpers/stores.js';

export interface ImportStore {
  kind: StoreKind;
  ds: DataSource;
  /** The bootstrapped `default` project. */
  projectId: number;
  /** CRATON_DATABASE_URL of this store (for the CLI). */
  databaseUrl: string;
  close(): Promise<void>;
}

export async function openImportStore(kind: StoreKind): Promise<ImportStore> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const db = await createTestDatabase(kind, 'craton_imp');
  cleanups.push(db.drop);
  const databaseUrl = db.url;
  const store = kind === 'sqlite' ? { kind, path: databaseUrl.slice('sqlite:'.length) } as const : { kind, url: databaseUrl } as const;
  const ds = createCoreDataSource(store, createLogger('silent'));
  await openStore(ds);
  await bootstrap(ds, `test-bootstrap-${randomBytes(12).toString('hex')}`);
  cleanups.unshift(() => ds.destroy());
  const [project] = await ds.query("SELECT `id` FROM `projects` WHERE `name` = 'default'");
  return {
    kind, ds, projectId: Number(project.id), databaseUrl,
    async close() {
      for (const fn of cleanups) await fn().catch(() => undefined);
    },
  };
}

/** A text as a readable stream, delivered in small pieces (to exercise the parsers' chunk boundaries). */
export function textStream(text: string, piece = 7): Readable {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += piece) parts.push(text.slice(i, i + piece));
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

/** A small fleet: a cloud, two regions, a cell, a hypervisor with two VMs, a switch. */
export function smallFleet(): ImportRecord[] {
  return [
    { kind: 'cloud', name: 'prod', vars: { owner: 'infra' } },
    { kind: 'region', cloud: 'prod', name: 'ord', note: 'Chicago', vars: { ntp: ['10.0.0.1'] } },
    { kind: 'region', cloud: 'prod', name: 'dfw' },
    { kind: 'cell', cloud: 'prod', region: 'ord', name: 'c1', vars: { rack_row: 4 } },
    { kind: 'host', cloud: 'prod', region: 'ord', cell: 'c1', name: 'hv-1', ip_address: '10.1.0.1', device_type: 'hypervisor', labels: ['compute', 'hypervisor'], vars: { hardware: { disks: [{ vendor: 'Seagate', size_gb: 960 }] }, os: { distro: 'ubuntu' } } },
    { kind: 'host', cloud: 'prod', region: 'ord', cell: 'c1', name: 'vm-1', parent: 'hv-1', ip_address: '10.1.1.1', device_type: 'vm', labels: ['vm'], vars: { os: { distro: 'debian' } } },
    { kind: 'host', cloud: 'prod', region: 'ord', cell: 'c1', name: 'ct-1', parent: 'vm-1', device_type: 'container', active: false, note: 'nested' },
    { kind: 'network_device', cloud: 'prod', region: 'ord', name: 'sw-1', ip_address: '10.1.0.254', model_name: 'QFX5120', os_version: '21.4', vlans: [100, 200], labels: ['tor'] },
    { kind: 'host', cloud: 'prod', region: 'dfw', name: 'hv-2', ip_address: '10.2.0.1', labels: ['compute'] },
  ];
}

/** Rows of one table (for assertions), as plain objects with numeric ids. */
export async function rows(ds: DataSource, sql: string, params: unknown[] = []): Promise<Array<Record<string, any>>> {
  return ds.query(sql, params);
}
