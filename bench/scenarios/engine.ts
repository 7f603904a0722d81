import { toGlobalId } from '../../src/ids.js';
import { regionName } from '../lib/fleet.js';
import { fmtRate } from '../lib/stats.js';
import { startWorkflow, watchRuns, type StartedRun } from '../lib/workflows.js';
import { sizeLabel, type Row, type ScenarioContext } from './context.js';

// Scenario 5: the workflow engine. The built-in `noop` workflow over every host of one region (10k hosts in
// the 100k fleet, 1k in the 10k one), with the API's default batch size and concurrency; every event is
// persisted before it is published. Started through the gateway (startWorkflow) and measured from the request
// to the run's final status (workflowRunUpdated over graphql-ws). Baseline: the same events (read back from the store) inserted again
// one statement at a time with autocommit on the raw driver, the least any engine must do to persist each
// event before publishing it.

export async function engine(ctx: ScenarioContext): Promise<Row[]> {
  const [region] = await ctx.raw.query<{ id: number }>('SELECT id FROM regions WHERE project_id = ? AND name = ?', [ctx.projectId, regionName(0)]);
  const target = { regionId: toGlobalId('Region', region!.id) };
  const timeoutMs = ctx.quick ? 120_000 : 900_000;
  const watcher = await watchRuns(ctx.ep, 'noop');
  let run: StartedRun;
  let planMs: number;
  let totalMs: number;
  try {
    const t0 = performance.now();
    run = await startWorkflow(ctx.ep, { workflow: 'noop', target });
    planMs = performance.now() - t0;
    ctx.log(`  run ${run.key}: ${run.totalTargets} targets planned in ${(planMs / 1000).toFixed(1)} s`);
    const fin = await watcher.finished(run.id, timeoutMs);
    totalMs = fin.at - t0;
    if (fin.status !== 'SUCCEEDED') ctx.log(`WARNING: the noop run ended ${fin.status}`);
  } finally {
    await watcher.close();
  }

  // Baseline: the same events, one autocommitted INSERT each, under a copy of the run (same table, same indexes).
  const events = await ctx.raw.query<Record<string, unknown>>(
    'SELECT sequence, at, type, target_id, device_id, task, attempt, message, data FROM workflow_events WHERE run_id = ? ORDER BY sequence', [run.key],
  );
  await ctx.raw.run(
    'INSERT INTO workflow_runs (project_id, workflow, status, params, target_filter, batch_size, max_concurrency, dry_run, total_targets, started_by, created_at) ' +
      "SELECT project_id, 'bench-baseline', 'SUCCEEDED', params, target_filter, batch_size, max_concurrency, dry_run, total_targets, started_by, created_at FROM workflow_runs WHERE id = ?",
    [run.key],
  );
  const [copy] = await ctx.raw.query<{ id: number }>("SELECT MAX(id) AS id FROM workflow_runs WHERE workflow = 'bench-baseline'");
  const insert = 'INSERT INTO workflow_events (run_id, sequence, at, type, target_id, device_id, task, attempt, message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const b0 = performance.now();
  for (const e of events) {
    await ctx.raw.run(insert, [copy!.id, e.sequence, e.at, e.type, e.target_id, e.device_id, e.task, e.attempt, e.message, e.data]);
  }
  const baseMs = performance.now() - b0;
  await ctx.raw.run('DELETE FROM workflow_events WHERE run_id = ?', [copy!.id]);
  await ctx.raw.run('DELETE FROM workflow_runs WHERE id = ?', [copy!.id]);

  const targets = run.totalTargets;
  const ratio = totalMs / baseMs;
  return [{
    scenario: '5 engine noop, every event persisted', store: ctx.storeName, size: `${sizeLabel(targets)} targets`,
    ours: `${fmtRate(targets / (totalMs / 1000), 'targets/s')} (${(totalMs / 1000).toFixed(1)} s)`, oursValue: targets / (totalMs / 1000),
    baseline: `${fmtRate(targets / (baseMs / 1000), 'targets/s')} (${(baseMs / 1000).toFixed(1)} s)`, baselineValue: targets / (baseMs / 1000), unit: 'targets/s',
    ratio, sql: '—', target: 'time ≤ 2.00×', pass: ratio <= 2,
    notes: `${events.length} events (${(events.length / targets).toFixed(2)}/target); startWorkflow answered after ${(planMs / 1000).toFixed(1)} s; ratio is time ours/baseline`,
    details: { targets, events: events.length, totalMs, planMs, baselineMs: baseMs },
  }];
}
