import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

// The workflow engine's tables (migration 1763800000000-Workflows). Same conventions as entities.ts: explicit
// column types, plain id columns, JSON kept as text and decoded by the engine (workflows/engine/records.ts).
// Statuses are the engine's vocabularies (workflows/types.ts), kept as plain strings here so the store
// imports nothing from the layers above it.

const at = (name: string, nullable = false) => ({ name, type: 'datetime', precision: 3, nullable } as const);

/** One execution of a workflow over a set of devices, owned (leased) by one gateway process at a time. */
@Entity('workflow_runs')
export class WorkflowRunRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 255 }) workflow!: string;
  @Column({ type: 'varchar', length: 16 }) status!: string;
  /** JSON text of the validated parameters. */
  @Column({ type: 'text' }) params!: string;
  /** JSON text of the DeviceFilter the targets were resolved from. */
  @Column({ name: 'target_filter', type: 'text' }) targetFilter!: string;
  @Column({ name: 'batch_size', type: 'integer' }) batchSize!: number;
  @Column({ name: 'max_concurrency', type: 'integer' }) maxConcurrency!: number;
  @Column({ name: 'dry_run', type: 'boolean', default: false }) dryRun!: boolean;
  @Column({ name: 'total_targets', type: 'integer' }) totalTargets!: number;
  /** Name of who started it: a user name, or `schedule:<id>`. */
  @Column({ name: 'started_by', type: 'varchar', length: 255, nullable: true }) startedBy!: string | null;
  /** The user whose authority the run acts with (write-back); the schedule's creator for scheduled runs. */
  @Column({ name: 'started_by_user_id', type: 'integer', nullable: true }) startedByUserId!: number | null;
  @Column({ name: 'schedule_id', type: 'integer', nullable: true }) scheduleId!: number | null;
  /** Why the run ended as it did when that is not obvious from its targets (e.g. not resumable after a crash). */
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  /** Id of the process that holds the lease, null when nobody does. */
  @Column({ type: 'varchar', length: 128, nullable: true }) owner!: string | null;
  @Column(at('lease_expires_at', true)) leaseExpiresAt!: Date | null;
  @Column(at('created_at')) createdAt!: Date;
  @Column(at('started_at', true)) startedAt!: Date | null;
  @Column(at('finished_at', true)) finishedAt!: Date | null;
  @Column(at('updated_at', true)) updatedAt!: Date | null;
}

/** One device of a run: its snapshot at plan time, where it stands, and the state of each of its tasks. */
@Entity('workflow_targets')
export class WorkflowTargetRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'run_id', type: 'integer' }) runId!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  /** 0-based order in the run; batch = floor(position / batch_size). */
  @Column({ type: 'integer' }) position!: number;
  /** Global id of the device. */
  @Column({ name: 'device_id', type: 'varchar', length: 255 }) deviceId!: string;
  @Column({ name: 'device_name', type: 'varchar', length: 255 }) deviceName!: string;
  /** JSON text of the TargetDevice (name, address, resolved variables) as resolved when the run started. */
  @Column({ type: 'text' }) device!: string;
  @Column({ type: 'varchar', length: 16 }) status!: string;
  /** Attempts of the task that ran last. */
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  /** JSON text of TaskState[] (one per task of the definition). */
  @Column({ type: 'text' }) tasks!: string;
  /** JSON text of the FailureRecord that ended the target, if any. */
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column(at('started_at', true)) startedAt!: Date | null;
  @Column(at('finished_at', true)) finishedAt!: Date | null;
}

/** One persisted event of a run; `sequence` increases by one per event of the run, from 1. */
@Entity('workflow_events')
export class WorkflowEventRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'run_id', type: 'integer' }) runId!: number;
  @Column({ type: 'integer' }) sequence!: number;
  @Column(at('at')) at!: Date;
  @Column({ type: 'varchar', length: 32 }) type!: string;
  @Column({ name: 'target_id', type: 'integer', nullable: true }) targetId!: number | null;
  @Column({ name: 'device_id', type: 'varchar', length: 255, nullable: true }) deviceId!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) task!: string | null;
  @Column({ type: 'integer', nullable: true }) attempt!: number | null;
  @Column({ type: 'text', nullable: true }) message!: string | null;
  /** JSON text. */
  @Column({ type: 'text', nullable: true }) data!: string | null;
}

/** A cron schedule that starts a workflow run at each tick. */
@Entity('workflow_schedules')
export class WorkflowScheduleRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 255 }) workflow!: string;
  @Column({ type: 'varchar', length: 255 }) cron!: string;
  @Column({ type: 'varchar', length: 64 }) timezone!: string;
  @Column({ name: 'target_filter', type: 'text' }) targetFilter!: string;
  @Column({ type: 'text' }) params!: string;
  @Column({ name: 'batch_size', type: 'integer', nullable: true }) batchSize!: number | null;
  @Column({ name: 'max_concurrency', type: 'integer', nullable: true }) maxConcurrency!: number | null;
  /** SKIP: no new run while the previous one is unfinished; ALLOW: start anyway. */
  @Column({ type: 'varchar', length: 8 }) overlap!: 'SKIP' | 'ALLOW';
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ name: 'created_by', type: 'varchar', length: 255 }) createdBy!: string;
  @Column({ name: 'created_by_user_id', type: 'integer' }) createdByUserId!: number;
  @Column(at('last_fired_at', true)) lastFiredAt!: Date | null;
  @Column({ name: 'last_run_id', type: 'integer', nullable: true }) lastRunId!: number | null;
  @Column(at('created_at')) createdAt!: Date;
  @Column(at('updated_at', true)) updatedAt!: Date | null;
}

/** A claimed tick of a schedule: the primary key makes one process win each (schedule, fire time). */
@Entity('workflow_schedule_fires')
export class WorkflowScheduleFireRow {
  @PrimaryColumn({ name: 'schedule_id', type: 'integer' }) scheduleId!: number;
  @PrimaryColumn({ name: 'fire_time', type: 'datetime', precision: 3 }) fireTime!: Date;
  @Column({ name: 'claimed_by', type: 'varchar', length: 128 }) claimedBy!: string;
  @Column({ name: 'run_id', type: 'integer', nullable: true }) runId!: number | null;
  /** Why no run was started for this tick (overlap, invalid definition), if none was. */
  @Column({ type: 'text', nullable: true }) outcome!: string | null;
}

export const workflowEntities = [WorkflowRunRow, WorkflowTargetRow, WorkflowEventRow, WorkflowScheduleRow, WorkflowScheduleFireRow];
