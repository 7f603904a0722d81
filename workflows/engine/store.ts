import { In, type DataSource, type EntityManager } from 'typeorm';
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
      for (let i = 0; i < targets.length; i += INSERT_CHUNK) {
        await em.getRepository(WorkflowTargetRow).insert(targets.slice(i, i + INSERT_CHUNK).map((t) => ({ ...t, runId: saved.id })));
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

  /** Inserts an event only while `owner` holds the run (INSERT … SELECT): one statement. `em`: a transaction's, or ds.manager. */
  async insertEvent(em: EntityManager, owner: string, e: EventRecord): Promise<void> {
    const [sql, params] = this.ds.driver.escapeQueryWithParameters(
      'INSERT INTO workflow_events (run_id, sequence, at, type, target_id, device_id, task, attempt, message, data) ' +
        'SELECT :runId, :sequence, :at, :type, :targetId, :deviceId, :task, :attempt, :message, :data FROM workflow_runs WHERE id = :runId AND owner = :owner',
      {
        runId: e.runId, sequence: e.sequence, at: e.at, type: e.type, targetId: e.targetId, deviceId: e.deviceId, task: e.task,
        attempt: e.attempt, message: e.message, data: e.data === null || e.data === undefined ? null : JSON.stringify(e.data), owner,
      },
    );
    const qr = em.queryRunner ?? this.ds.createQueryRunner();
    try {
      const res = await qr.query(sql, params, true);
      if ((res.affected ?? 0) !== 1) throw new LeaseLostError(e.runId);
    } catch (err) {
      // Another writer took this sequence number: it holds the run now, whatever the owner column said.
      throw isUniqueViolation(err) ? new LeaseLostError(e.runId) : err;
    } finally {
      if (!em.queryRunner) await qr.release();
    }
  }

  /** Updates one target while `owner` holds its run; in `em`'s transaction when given (e.g. with the event it goes with). */
  async updateTarget(owner: string, runId: number, targetId: number, patch: TargetPatch, em?: EntityManager): Promise<void> {
    const update = (m: EntityManager) => m.createQueryBuilder().update(WorkflowTargetRow).set(patch)
      .where('id = :targetId', { targetId })
      .andWhere('run_id IN (SELECT r.id FROM workflow_runs r WHERE r.id = :runId AND r.owner = :owner)', { runId, owner })
      .execute();
    const res = em ? await update(em) : await exclusiveWrite(this.ds, () => update(this.ds.manager));
    if ((res.affected ?? 0) !== 1) throw new LeaseLostError(runId);
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
