import type { DataSource } from 'typeorm';
import { toConnection, type Connection, type PageRequest } from '../../src/pagination.js';
import { WorkflowEventRow, WorkflowRunRow, WorkflowScheduleRow, WorkflowTargetRow } from '../../src/store/workflow-entities.js';
import type { RunStatus, TargetStatus } from '../types.js';
import {
  fromEventRow, fromRunRow, fromScheduleRow, fromTargetRow, type EventRecord, type RunRecord, type ScheduleRecord, type TargetRecord,
} from './records.js';

/**
 * What the API reads about runs, targets, events and schedules. Every call is one statement (two for a
 * connection whose totalCount is selected), whatever the number of rows; runs and schedules are always
 * filtered by project, targets and events by a run the caller already proved it may see.
 */
export class RunQueries {
  constructor(private readonly ds: DataSource) {}

  /** A run of the project, or null (another project's run is indistinguishable from a missing one). */
  async run(projectId: number, id: number): Promise<RunRecord | null> {
    const row = await this.ds.getRepository(WorkflowRunRow).findOneBy({ id, projectId });
    return row && fromRunRow(row);
  }

  /** Status of a run, whatever its project (for streams that already checked tenancy). */
  async status(runId: number): Promise<RunStatus | null> {
    const row = await this.ds.getRepository(WorkflowRunRow).findOne({ select: { id: true, status: true }, where: { id: runId } });
    return (row?.status as RunStatus | undefined) ?? null;
  }

  /** Runs of the project, newest first, optionally only some statuses or one workflow. */
  async runs(projectId: number, page: PageRequest, filter: { status?: readonly RunStatus[] | null; workflow?: string | null }): Promise<Connection<RunRecord>> {
    const base = () => {
      const q = this.ds.getRepository(WorkflowRunRow).createQueryBuilder('r').where('r.project_id = :projectId', { projectId });
      if (filter.status?.length) q.andWhere('r.status IN (:...status)', { status: [...filter.status] });
      if (filter.workflow != null) q.andWhere('r.workflow = :workflow', { workflow: filter.workflow });
      return q;
    };
    const q = base().orderBy('r.id', 'DESC').limit(page.first + 1);
    if (page.afterKey > 0) q.andWhere('r.id < :after', { after: page.afterKey });
    return toConnection((await q.getMany()).map(fromRunRow), page, (r) => r.id, () => base().getCount());
  }

  /** Targets of a run in position order, optionally only some statuses. */
  async targets(runId: number, page: PageRequest, status?: readonly TargetStatus[] | null): Promise<Connection<TargetRecord>> {
    const base = () => {
      const q = this.ds.getRepository(WorkflowTargetRow).createQueryBuilder('t').where('t.run_id = :runId', { runId });
      if (status?.length) q.andWhere('t.status IN (:...status)', { status: [...status] });
      return q;
    };
    const rows = await base().andWhere('t.id > :after', { after: page.afterKey }).orderBy('t.id', 'ASC').limit(page.first + 1).getMany();
    return toConnection(rows.map(fromTargetRow), page, (t) => t.id, () => base().getCount());
  }

  /** Up to `limit` events of a run with sequence > `afterSequence`, in sequence order. */
  async events(runId: number, afterSequence: number, limit: number): Promise<EventRecord[]> {
    const rows = await this.ds.getRepository(WorkflowEventRow).createQueryBuilder('e')
      .where('e.run_id = :runId AND e.sequence > :afterSequence', { runId, afterSequence })
      .orderBy('e.sequence', 'ASC').limit(limit).getMany();
    return rows.map(fromEventRow);
  }

  /** A schedule of the project, or null. */
  async schedule(projectId: number, id: number): Promise<ScheduleRecord | null> {
    const row = await this.ds.getRepository(WorkflowScheduleRow).findOneBy({ id, projectId });
    return row && fromScheduleRow(row);
  }

  /** Schedules of the project in creation order. */
  async schedules(projectId: number, page: PageRequest): Promise<Connection<ScheduleRecord>> {
    const base = () => this.ds.getRepository(WorkflowScheduleRow).createQueryBuilder('s').where('s.project_id = :projectId', { projectId });
    const rows = await base().andWhere('s.id > :after', { after: page.afterKey }).orderBy('s.id', 'ASC').limit(page.first + 1).getMany();
    return toConnection(rows.map(fromScheduleRow), page, (s) => s.id, () => base().getCount());
  }
}
