import { In, type DataSource, type EntityManager, type EntityMetadata } from 'typeorm';
import { insertRows } from '../../src/store/bulk.js';
import { dialectOf } from '../../src/store/data-source.js';
import { isUniqueViolation } from '../../src/store/errors.js';
import { exclusiveWrite, storeTransaction } from '../../src/store/transaction.js';
import { WorkflowEventRow, WorkflowRunRow, WorkflowTargetRow } from '../../src/store/workflow-entities.js';
import type { RunStatus, TargetStatus } from '../types.js';
import { fromRunRow, fromTargetRow, type EventRecord, type RunRecord, type TargetRecord } from './records.js';
import { ACTIVE_RUN_STATUSES, OPEN_TARGET_STATUSES, runTransition } from './states.js';

/**
 * The engine's writes and the reads it needs to execute runs. Every write an owner makes is FENCED: it
 * only lands while `workflow_runs.owner` is still this process, so a process that lost its lease (paused,
 * partitioned, or replaced after a crash) cannot overwrite what the new owner records. A fenced write
 * that lands nowhere throws LeaseLostError.
 */

/** Thrown when a fenced write finds the run owned by another process (or by nobody). */
export class LeaseLostError extends Error {
  constructor(readonly runId: number) {
    super(`run ${runId}: this process no longer holds its lease`);
    this.name = 'LeaseLostError';
  }
}

/** Columns of workflow_events, and the EventRecord property each holds. */
const EVENT_COLUMNS: ReadonlyArray<readonly [column: string, property: keyof EventRecord]> = [
  ['run_id', 'runId'], ['sequence', 'sequence'], ['at', 'at'], ['type', 'type'], ['target_id', 'targetId'], ['device_id', 'deviceId'],
  ['task', 'task'], ['attempt', 'attempt'], ['message', 'message'], ['data', 'data'],
];

/** Columns of workflow_targets an owner may change, by TargetPatch property. */
const TARGET_COLUMNS: ReadonlyArray<readonly [property: keyof TargetPatch, column: string]> = [
  ['status', 'status'], ['attempts', 'attempts'], ['tasks', 'tasks'], ['lastError', 'last_error'], ['startedAt', 'started_at'], ['finishedAt', 'finished_at'],
];

/** Targets inserted per statement when a run is created. */
const INSERT_CHUNK = 200;

/** Fields of a new run, before it has an id. */
export type NewRun = Omit<WorkflowRunRow, 'id'>;
/** Fields of a new target, before it has an id and a run. */
export type NewTarget = Omit<WorkflowTargetRow, 'id' | 'runId'>;
/** What an owner may change on a target. */
export type TargetPatch = Partial<Pick<WorkflowTargetRow, 'status' | 'attempts' | 'tasks' | 'lastError' | 'startedAt' | 'finishedAt'>>;

/**
 * The engine's persistence. Its transactions go through the store's write queue (src/store/transaction.ts),
 * shared with API requests, so on SQLite no two transactions ever interleave on the one connection.
 */
export class RunStore {
  constructor(readonly ds: DataSource) {}

  /** Runs `fn` in one transaction (serialised with the engine's other transactions on SQLite). */
  tx<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return storeTransaction(this.ds, fn);
  }

  /** Runs `fn`, which opens its own transaction, serialised like `tx` on SQLite. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return exclusiveWrite(this.ds, fn);
  }

  /** Inserts a run and its targets in one transaction; returns the run. */
  insertRun(run: NewRun, targets: NewTarget[]): Promise<RunRecord> {
    return this.tx(async (em) => {
      const saved = await em.getRepository(WorkflowRunRow).save(em.getRepository(WorkflowRunRow).create(run));
      // Multi-row INSERTs with positional parameters: the same SQL text for every full chunk, prepared once.
      const columns = this.targetColumns.columns.filter((c) => !c.isGenerated);
      const rows = targets.map((t) => columns.map((c) => (c.propertyName === 'runId' ? saved.id : (t as Record<string, unknown>)[c.propertyName])));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await insertRows(em, dialectOf(this.ds), 'workflow_targets', columns.map((c) => c.databaseName), rows.slice(i, i + INSERT_CHUNK));
      }
      return fromRunRow(saved);
    });
  }

  async loadRun(id: number): Promise<RunRecord | null> {
    const row = await this.ds.getRepository(WorkflowRunRow).findOneBy({ id });
    return row && fromRunRow(row);
  }

  /**
   * Takes the lease of a run when nobody holds it, it expired, or `owner` held it already: one conditional
   * UPDATE, so of two processes racing for a run exactly one sees an affected row.
   */
  async claim(runId: number, owner: string, now: Date, until: Date): Promise<boolean> {
    const res = await exclusiveWrite(this.ds, () => this.ds.createQueryBuilder().update(WorkflowRunRow).set({ owner, leaseExpiresAt: until })
      .where('id = :runId AND status IN (:...active)', { runId, active: ACTIVE_RUN_STATUSES })
      .andWhere('(owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < :now OR owner = :owner)', { now, owner })
      .execute());
    return (res.affected ?? 0) === 1;
  }

  /** Unfinished runs that nobody holds (or whose lease expired, or that `owner` held before a restart), oldest first. */
  async claimable(owner: string, now: Date, exclude: number[], limit: number): Promise<number[]> {
    const q = this.ds.getRepository(WorkflowRunRow).createQueryBuilder('r').select('r.id', 'id')
      .where('r.status IN (:...active)', { active: ACTIVE_RUN_STATUSES })
      .andWhere('(r.owner IS NULL OR r.lease_expires_at IS NULL OR r.lease_expires_at < :now OR r.owner = :owner)', { now, owner })
      .orderBy('r.id', 'ASC').limit(limit);
    if (exclude.length) q.andWhere('r.id NOT IN (:...exclude)', { exclude });
    return (await q.getRawMany<{ id: number }>()).map((r) => Number(r.id));
  }

  /** Owner and status of runs, for lease renewal and noticing cancellations made by other processes. */
  async leaseState(ids: number[]): Promise<Array<{ id: number; owner: string | null; status: RunStatus }>> {
    if (!ids.length) return [];
    const rows = await this.ds.getRepository(WorkflowRunRow).find({ select: { id: true, owner: true, status: true }, where: { id: In(ids) } });
    return rows.map((r) => ({ id: r.id, owner: r.owner, status: r.status as RunStatus }));
  }

  /** Extends the leases `owner` still holds; one statement. */
  async renew(ids: number[], owner: string, until: Date): Promise<void> {
    if (!ids.length) return;
    await exclusiveWrite(this.ds, () => this.ds.createQueryBuilder().update(WorkflowRunRow).set({ leaseExpiresAt: until })
      .where('id IN (:...ids) AND owner = :owner', { ids, owner }).execute());
  }

  /** Gives up leases so another process may take the runs at once (graceful stop). */
  async release(ids: number[], owner: string): Promise<void> {
    if (!ids.length) return;
    await exclusiveWrite(this.ds, () => this.ds.createQueryBuilder().update(WorkflowRunRow).set({ owner: null, leaseExpiresAt: null })
      .where('id IN (:...ids) AND owner = :owner', { ids, owner }).execute());
  }

  /**
   * Moves a run from `from` to `to` through the transition table, fenced by owner (null: unfenced, for
   * cancellation by any process). Returns false when the run was not in `from` (someone else moved it).
   */
  async setRunStatus(
    em: EntityManager, runId: number, owner: string | null, from: RunStatus, to: RunStatus,
    fields: Partial<Pick<WorkflowRunRow, 'startedAt' | 'finishedAt' | 'reason' | 'updatedAt'>> = {},
  ): Promise<boolean> {
    runTransition(from, to);
    const q = em.createQueryBuilder().update(WorkflowRunRow).set({ ...fields, status: to })
      .where('id = :runId AND status = :from', { runId, from });
    if (owner !== null) q.andWhere('owner = :owner', { owner });
    const res = await q.execute();
    return (res.affected ?? 0) === 1;
  }

  /** Current `sequence` high-water mark of a run's events (0 when it has none). */
  async maxSequence(runId: number): Promise<number> {
    const row = await this.ds.getRepository(WorkflowEventRow).createQueryBuilder('e').select('MAX(e.sequence)', 'max')
      .where('e.run_id = :runId', { runId }).getRawOne<{ max: number | null }>();
    return Number(row?.max ?? 0);
  }

  /**
   * Inserts events of one run only while `owner` holds it: one INSERT … SELECT for all of them, so they
   * land together or not at all. `em`: a transaction's, or ds.manager.
   *
   * NOTE: written as SQL with positional parameters, not through TypeORM's query builder nor its named
   * parameters, which inline numbers into the text: every event had SQL of its own, and SQLite prepared
   * each one afresh (a tenth of a run's time).
   */
  async insertEvents(em: EntityManager, owner: string, events: readonly EventRecord[]): Promise<void> {
    if (!events.length) return;
    const row = `SELECT ${EVENT_COLUMNS.map(([column]) => `? AS ${column}`).join(', ')}`;
    const sql = `INSERT INTO workflow_events (${EVENT_COLUMNS.map(([column]) => column).join(', ')}) ` +
      `SELECT * FROM (${events.map(() => row).join(' UNION ALL ')}) e WHERE EXISTS (SELECT 1 FROM workflow_runs r WHERE r.id = ? AND r.owner = ?)`;
    const params: unknown[] = [];
    for (const e of events) {
      const values: Record<string, unknown> = { ...e, data: e.data === null || e.data === undefined ? null : JSON.stringify(e.data) };
      for (const [, property] of EVENT_COLUMNS) params.push(this.persisted(this.eventColumns, property, values[property]));
    }
    params.push(events[0]!.runId, owner);
    try {
      if ((await this.execute(em, sql, params)) !== events.length) throw new LeaseLostError(events[0]!.runId);
    } catch (err) {
      // Another writer took these sequence numbers: it holds the run now, whatever the owner column said.
      throw isUniqueViolation(err) ? new LeaseLostError(events[0]!.runId) : err;
    }
  }

  /** Updates one target while `owner` holds its run; in `em`'s transaction when given (e.g. with the event it goes with). */
  async updateTarget(owner: string, runId: number, targetId: number, patch: TargetPatch, em?: EntityManager): Promise<void> {
    if (em) return this.updateTargets(em, owner, runId, [{ targetId, patch }]);
    await exclusiveWrite(this.ds, () => this.updateTargets(this.ds.manager, owner, runId, [{ targetId, patch }]));
  }

  /**
   * Applies a patch to each of several targets of one run in one UPDATE (a CASE per column), only while
   * `owner` holds the run; LeaseLostError unless every target was there. Each target at most once.
   */
  async updateTargets(em: EntityManager, owner: string, runId: number, patches: ReadonlyArray<{ targetId: number; patch: TargetPatch }>): Promise<void> {
    if (!patches.length) return;
    const params: unknown[] = [];
    const sets: string[] = [];
    for (const [property, column] of TARGET_COLUMNS) {
      const having = patches.filter((p) => p.patch[property] !== undefined);
      if (!having.length) continue;
      if (having.length === patches.length && patches.length === 1) {
        sets.push(`${column} = ?`);
        params.push(this.persisted(this.targetColumns, property, having[0]!.patch[property]));
        continue;
      }
      sets.push(`${column} = CASE id ${having.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${column} END`);
      for (const p of having) params.push(p.targetId, this.persisted(this.targetColumns, property, p.patch[property]));
    }
    if (!sets.length) sets.push('id = id'); // nothing to change: still proves the lease
    const ids = patches.map((p) => p.targetId);
    params.push(...ids, runId, owner);
    const sql = `UPDATE workflow_targets SET ${sets.join(', ')} WHERE id IN (${ids.map(() => '?').join(', ')}) ` +
      'AND run_id IN (SELECT r.id FROM workflow_runs r WHERE r.id = ? AND r.owner = ?)';
    if ((await this.execute(em, sql, params)) !== patches.length) throw new LeaseLostError(runId);
  }

  private get eventColumns(): EntityMetadata {
    return this.ds.getMetadata(WorkflowEventRow);
  }

  private get targetColumns(): EntityMetadata {
    return this.ds.getMetadata(WorkflowTargetRow);
  }

  /** A property's value as TypeORM stores it on this store (dates as text on SQLite, booleans as 0/1, …). */
  private persisted(meta: EntityMetadata, property: string, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    const column = meta.findColumnWithPropertyName(property);
    return column ? this.ds.driver.preparePersistentValue(value, column) : value;
  }

  /** Runs one write statement on `em`'s connection (a transaction's) or a pooled one; returns the rows it affected. */
  private async execute(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
    const qr = em.queryRunner ?? this.ds.createQueryRunner();
    try {
      const res = await qr.query(sql, params, true);
      return res.affected ?? 0;
    } finally {
      if (!em.queryRunner) await qr.release();
    }
  }

  /** Moves every target of a run in `from` to `to` at once (cancellation, abandoned runs); returns how many moved. */
  async moveTargets(owner: string, runId: number, from: TargetStatus, to: TargetStatus, patch: TargetPatch = {}): Promise<number> {
    const res = await exclusiveWrite(this.ds, () => this.ds.createQueryBuilder().update(WorkflowTargetRow).set({ ...patch, status: to })
      .where('run_id = :runId AND status = :from', { runId, from })
      .andWhere('run_id IN (SELECT r.id FROM workflow_runs r WHERE r.id = :runId AND r.owner = :owner)', { owner })
      .execute());
    return res.affected ?? 0;
  }

  /** Position of the first target with work left, or null when every target is done. */
  async firstOpenPosition(runId: number): Promise<number | null> {
    const row = await this.ds.getRepository(WorkflowTargetRow).createQueryBuilder('t').select('MIN(t.position)', 'pos')
      .where('t.run_id = :runId AND t.status IN (:...open)', { runId, open: OPEN_TARGET_STATUSES }).getRawOne<{ pos: number | null }>();
    return row?.pos == null ? null : Number(row.pos);
  }

  /** Up to `limit` targets with work left whose position is in (afterPosition, below), in order. */
  async openTargets(runId: number, afterPosition: number, below: number, limit: number): Promise<TargetRecord[]> {
    const rows = await this.ds.getRepository(WorkflowTargetRow).createQueryBuilder('t')
      .where('t.run_id = :runId AND t.status IN (:...open)', { runId, open: OPEN_TARGET_STATUSES })
      .andWhere('t.position > :afterPosition AND t.position < :below', { afterPosition, below })
      .orderBy('t.position', 'ASC').limit(limit).getMany();
    return rows.map(fromTargetRow);
  }

  /** Targets per status for each run: one GROUP BY statement. */
  async countByStatus(runIds: readonly number[]): Promise<Map<number, Partial<Record<TargetStatus, number>>>> {
    const out = new Map<number, Partial<Record<TargetStatus, number>>>(runIds.map((id) => [id, {}]));
    if (!runIds.length) return out;
    const rows = await this.ds.getRepository(WorkflowTargetRow).createQueryBuilder('t')
      .select('t.run_id', 'runId').addSelect('t.status', 'status').addSelect('COUNT(*)', 'n')
      .where('t.run_id IN (:...runIds)', { runIds: [...runIds] }).groupBy('t.run_id').addGroupBy('t.status')
      .getRawMany<{ runId: number; status: TargetStatus; n: number | string }>();
    for (const r of rows) out.get(Number(r.runId))![r.status] = Number(r.n);
    return out;
  }
}
