import { Table, TableForeignKey, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columns } from './1763700000000-Init.js';

/**
 * The workflow engine's tables: runs (with their lease), targets (one per device, with per-task state),
 * events (per-run sequence, unique), schedules, and claimed schedule ticks. QueryRunner table API only, so
 * it runs on SQLite and MySQL/MariaDB alike; strings use the binary collation on MySQL like Init does.
 */
export class Workflows1763800000000 implements MigrationInterface {
  name = 'Workflows1763800000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    const c = columns(mysql);

    await q.createTable(new Table({
      name: 'workflow_runs',
      columns: [
        c.id(), c.ref('project_id'), c.str('workflow'), c.str('status', 16), c.text('params'), c.text('target_filter'),
        c.int('batch_size'), c.int('max_concurrency'), c.bool('dry_run', false), c.int('total_targets'),
        c.str('started_by', 255, true), c.int('started_by_user_id', true), c.int('schedule_id', true), c.text('reason', true),
        c.str('owner', 128, true), c.time('lease_expires_at', true),
        c.time('created_at'), c.time('started_at', true), c.time('finished_at', true), c.time('updated_at', true),
      ],
      indices: [
        { name: 'ix_workflow_runs_project', columnNames: ['project_id', 'id'] },
        // Recovery scans unfinished runs by lease; schedules look for their unfinished runs.
        { name: 'ix_workflow_runs_status_lease', columnNames: ['status', 'lease_expires_at'] },
        { name: 'ix_workflow_runs_schedule', columnNames: ['schedule_id', 'status'] },
      ],
      foreignKeys: [cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'workflow_targets',
      columns: [
        c.id(), c.ref('run_id'), c.ref('project_id'), c.int('position'), c.str('device_id'), c.str('device_name'), c.text('device'),
        c.str('status', 16), c.int('attempts'), c.text('tasks'), c.text('last_error', true),
        c.time('started_at', true), c.time('finished_at', true),
      ],
      indices: [
        { name: 'ix_workflow_targets_run_position', columnNames: ['run_id', 'position'] },
        { name: 'ix_workflow_targets_run_status', columnNames: ['run_id', 'status', 'id'] },
      ],
      foreignKeys: [cascade('run_id', 'workflow_runs'), cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'workflow_events',
      columns: [
        c.id(), c.ref('run_id'), c.int('sequence'), c.time('at'), c.str('type', 32), c.int('target_id', true), c.str('device_id', 255, true),
        c.str('task', 255, true), c.int('attempt', true), c.text('message', true), c.text('data', true),
      ],
      // The uniqueness is the guard against two writers of one run: a second insert of a sequence fails.
      indices: [{ name: 'uq_workflow_events_run_sequence', columnNames: ['run_id', 'sequence'], isUnique: true }],
      foreignKeys: [cascade('run_id', 'workflow_runs')],
    }));
    await q.createTable(new Table({
      name: 'workflow_schedules',
      columns: [
        c.id(), c.ref('project_id'), c.str('workflow'), c.str('cron'), c.str('timezone', 64), c.text('target_filter'), c.text('params'),
        c.int('batch_size', true), c.int('max_concurrency', true), c.str('overlap', 8), c.bool('enabled', true),
        c.str('created_by'), c.int('created_by_user_id'), c.time('last_fired_at', true), c.int('last_run_id', true),
        c.time('created_at'), c.time('updated_at', true),
      ],
      indices: [{ name: 'ix_workflow_schedules_project', columnNames: ['project_id', 'id'] }],
      foreignKeys: [cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'workflow_schedule_fires',
      columns: [pk(c.ref('schedule_id')), pk(c.time('fire_time')), c.str('claimed_by', 128), c.int('run_id', true), c.text('outcome', true)],
      foreignKeys: [cascade('schedule_id', 'workflow_schedules')],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['workflow_schedule_fires', 'workflow_schedules', 'workflow_events', 'workflow_targets', 'workflow_runs']) {
      await q.dropTable(t, true, true, true);
    }
  }
}

function pk(column: TableColumnOptions): TableColumnOptions {
  return { ...column, isPrimary: true };
}

function cascade(column: string, table: string): TableForeignKey {
  return new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE' });
}
