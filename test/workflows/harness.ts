// Runs the workflow engine directly against a real store (SQLite in a temp dir, or a fresh MariaDB database),
// migrated by the real migrations, with an injected clock: no gateway, no wall-clock waits.
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ReferenceSource } from '../../sources/reference/index.js';
import type { Principal } from '../../src/auth/principal.js';
import { Catalog } from '../../src/inventory/catalog.js';
import { createCoreDataSource } from '../../src/inventory/data-source.js';
import { systemScope, type Scope } from '../../src/inventory/scope.js';
import { createLogger } from '../../src/logger.js';
import { InProcessPubSub, type PubSub } from '../../src/pubsub.js';
import { openStore } from '../../src/store/data-source.js';
import { CloudRow, DeviceRow, ProjectRow, RegionRow, UserRow } from '../../src/store/entities.js';
import type { Clock } from '../../workflows/engine/clock.js';
import type { RunRecord } from '../../workflows/engine/records.js';
import { createWorkflowService, type WorkflowService, type WorkflowServiceOptions } from '../../workflows/engine/service.js';
import { createRegistry } from '../../workflows/registry.js';
import type { WorkflowDefinition } from '../../workflows/types.js';
import { createTestDatabase, type StoreKind } from '../helpers/stores.js';

export const logger = createLogger('silent');

/** A clock tests move by hand; `sleep` returns at once and records what was asked. */
export class TestClock implements Clock {
  offsetMs = 0;
  readonly sleeps: number[] = [];
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    await new Promise((r) => setImmediate(r));
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A migrated store with one project, one user, a cloud, a region and some hosts. */
export interface TestStore {
  kind: StoreKind;
  ds: DataSource;
  pubsub: PubSub;
  catalog: Catalog;
  projectId: number;
  userId: number;
  regionId: number;
  /** Creates hosts named `<prefix>-<i>` in the region (their variables optional); returns their rows. */
  hosts(n: number, prefix?: string, variables?: Record<string, unknown>): Promise<DeviceRow[]>;
  /** An OPERATOR scope in the project (or another project). */
  scope(projectId?: number, role?: Principal['role']): Scope;
  /** A second project with its own user; returns its id. */
  otherProject(): Promise<number>;
  close(): Promise<void>;
}

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const db = await createTestDatabase(kind, 'craton_wf');
  cleanups.push(db.drop);
  const url = kind === 'sqlite' ? db.url.slice('sqlite:'.length) : db.url;
  const ds = createCoreDataSource(kind === 'sqlite' ? { kind, path: url } : { kind, url }, logger);
  await openStore(ds);
  cleanups.unshift(() => ds.destroy());
  const pubsub = new InProcessPubSub();
  const now = new Date();
  const makeProject = async (name: string) => {
    const p = await ds.getRepository(ProjectRow).save({ name, createdAt: now, updatedAt: null });
    const u = await ds.getRepository(UserRow).save({ projectId: p.id, name: `op-${p.id}`, role: 'OPERATOR', isRoot: false, createdAt: now, updatedAt: null });
    return { projectId: p.id, userId: u.id };
  };
  const { projectId, userId } = await makeProject('wf');
  const cloud = await ds.getRepository(CloudRow).save({ projectId, name: 'c', note: null, createdAt: now, updatedAt: null });
  const region = await ds.getRepository(RegionRow).save({ projectId, cloudId: cloud.id, name: 'r', note: null, createdAt: now, updatedAt: null });
  const users = new Map([[projectId, userId]]);
  let made = 0;
  return {
    kind, ds, pubsub, projectId, userId, regionId: region.id,
    catalog: new Catalog(new ReferenceSource(ds), [], ds),
    async hosts(n, prefix = 'h', variables) {
      const rows = Array.from({ length: n }, () => ({
        kind: 'host' as const, projectId, cloudId: cloud.id, regionId: region.id, cellId: null, parentId: null, name: `${prefix}-${made++}`,
        ipAddress: null, deviceType: 'server', active: true, note: null, modelName: null, osVersion: null, vlans: null, createdAt: now, updatedAt: null,
      }));
      const saved = await ds.getRepository(DeviceRow).save(rows, { chunk: 200 });
      if (variables) {
        const { VariableRow } = await import('../../src/store/entities.js');
        await ds.getRepository(VariableRow).insert(saved.flatMap((d) => Object.entries(variables).map(([key, v]) => ({ ownerType: 'device' as const, ownerId: d.id, key, projectId, value: JSON.stringify(v) }))));
      }
      return saved;
    },
    scope(pid = projectId, role = 'OPERATOR') {
      const s = systemScope(ds, pid, { userId: users.get(pid) ?? userId, name: `op-${pid}` }, pubsub);
      s.principal.role = role;
      return s;
    },
    async otherProject() {
      const p = await makeProject(`other-${randomBytes(3).toString('hex')}`);
      users.set(p.projectId, p.userId);
      return p.projectId;
    },
    async close() {
      for (const fn of cleanups) await fn().catch(() => undefined);
    },
  };
}

/** A started service on the store, with timers slow enough that tests drive recovery and renewal by hand. */
export async function startService(
  store: TestStore,
  extra: WorkflowDefinition[] = [],
  opts: Partial<WorkflowServiceOptions> = {},
): Promise<WorkflowService> {
  const service = createWorkflowService({
    ds: store.ds, pubsub: store.pubsub, logger, catalog: store.catalog, registry: createRegistry(extra),
    clock: new TestClock(), leaseMs: 30_000, renewIntervalMs: 3_600_000, recoveryIntervalMs: 3_600_000, cancelGraceMs: 50,
    stopGraceMs: 200, cron: { schedule: () => ({ stop: () => undefined }) }, ...opts,
  });
  await service.start();
  return service;
}

/** Polls `probe` every few ms until it returns a truthy value; fails after `ms`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until the run has one of `statuses` (default: any terminal one) and returns it. */
export function waitForRun(service: WorkflowService, scope: Scope, run: RunRecord, statuses = ['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED']): Promise<RunRecord> {
  return waitFor(async () => {
    const r = await service.queries.run(scope.projectId, run.id);
    return r && statuses.includes(r.status) ? r : null;
  }, `run ${run.id} to reach ${statuses.join('/')}`);
}

/** A promise with its resolver, for tasks tests hold open. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}
