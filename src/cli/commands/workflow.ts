import type { CratonClient } from '../client.js';
import { CliError, type CliIO } from '../io.js';
import { json, propertyTable } from '../output.js';
import { runProgressView } from '../progress.js';
import { parsePairs } from './api.js';

// `craton workflow start NAME`: startWorkflow, then (with --follow) the run's events over graphql-ws
// (workflowRunEvents, resumed by sequence number if the socket drops) with a live progress bar; the exit
// status says how the run ended: 0 only for SUCCEEDED.

export interface WorkflowStartOptions {
  targetLabel?: string[];
  targetVars?: string[];
  targetRegion?: string;
  param?: string[];
  batchSize?: number;
  maxConcurrency?: number;
  dryRun?: boolean;
  follow?: boolean;
  json?: boolean;
}

interface Progress { total: number; pending: number; running: number; succeeded: number; failed: number; manual: number; skipped: number; reverted?: number }
interface Run { id: string; workflow: string; status: string; dryRun: boolean; batchSize: number; maxConcurrency: number; reason?: string | null; progress: Progress }
interface RunEvent { sequence: number; type: string; at: string; task: string | null; attempt: number | null; message: string | null; deviceId: string | null; device: { name: string } | null; data: any }

const RUN_FIELDS = 'id workflow status dryRun batchSize maxConcurrency reason progress { total pending running succeeded failed manual skipped }';
const EVENTS = `subscription CratonCliRunEvents($runId: ID!, $afterSequence: Int) {
  workflowRunEvents(runId: $runId, afterSequence: $afterSequence) { sequence type at task attempt message deviceId device { name } data }
}`;
/** Events that finish one target. */
const TARGET_DONE = new Set(['TARGET_SUCCEEDED', 'TARGET_FAILED', 'TARGET_MANUAL', 'TARGET_REVERTED', 'TARGET_SKIPPED']);
const TARGET_BAD = new Set(['TARGET_FAILED', 'TARGET_MANUAL', 'TARGET_REVERTED']);

export async function workflowStart(client: CratonClient, io: CliIO, name: string, opts: WorkflowStartOptions): Promise<number> {
  const target: Record<string, unknown> = {};
  if (opts.targetLabel?.length) target.labels = opts.targetLabel;
  if (opts.targetVars?.length) target.vars = opts.targetVars.join(',');
  if (opts.targetRegion) target.regionId = await regionIdOf(client, opts.targetRegion);
  const { values: params, deletes } = parsePairs(opts.param ?? []);
  for (const k of deletes) params[k] = '';
  const input: Record<string, unknown> = { workflow: name, target: Object.keys(target).length ? target : null, params, dryRun: !!opts.dryRun };
  if (opts.batchSize !== undefined) input.batchSize = opts.batchSize;
  if (opts.maxConcurrency !== undefined) input.maxConcurrency = opts.maxConcurrency;
  const { startWorkflow: run } = await client.request<{ startWorkflow: Run }>(
    `mutation CratonCliStart($input: StartWorkflowInput!) { startWorkflow(input: $input) { ${RUN_FIELDS} } }`, { input },
  );
  if (!opts.follow) {
    if (opts.json) io.stdout.write(json(run));
    else io.stdout.write(propertyTable([['id', run.id], ['workflow', run.workflow], ['status', run.status], ['targets', run.progress.total], ['dry_run', run.dryRun], ['batch_size', run.batchSize], ['max_concurrency', run.maxConcurrency]]));
    if (!opts.json) io.stderr.write(`follow it with: craton workflow start … --follow, or subscribe to workflowRunEvents(runId: "${run.id}")\n`);
    return 0;
  }
  if (!opts.json) io.stderr.write(`started ${run.workflow} run ${run.id} on ${run.progress.total} targets${run.dryRun ? ' (dry run)' : ''}\n`);
  const view = runProgressView(io.stderr);
  let lastSequence = 0;
  let done = 0;
  let bad = 0;
  let total = run.progress.total;
  try {
    await client.subscribe<{ workflowRunEvents: RunEvent }>(EVENTS, () => ({ runId: run.id, afterSequence: lastSequence }), {
      next: ({ workflowRunEvents: e }) => {
        if (e.sequence <= lastSequence) return;
        lastSequence = e.sequence;
        if (opts.json) { io.stdout.write(`${JSON.stringify(e)}\n`); return; }
        if (e.type === 'BATCH_STARTED' && typeof e.data?.size === 'number' && e.data.batches && total === 0) total = e.data.size * e.data.batches;
        if (TARGET_DONE.has(e.type)) {
          done += 1;
          if (TARGET_BAD.has(e.type)) bad += 1;
        }
        if (io.stderr.isTTY) {
          if (TARGET_BAD.has(e.type) || e.type === 'RUN_FINISHED' || e.type === 'RUN_CANCELLED') view.log(eventLine(e));
        } else view.log(eventLine(e));
        view.update(done, total, bad);
      },
    });
  } finally {
    view.stop();
  }
  const { workflowRun: final } = await client.request<{ workflowRun: Run | null }>(`query CratonCliRun($id: ID!) { workflowRun(id: $id) { ${RUN_FIELDS} } }`, { id: run.id });
  if (!final) throw new CliError(`run ${run.id} is no longer visible`);
  if (opts.json) io.stdout.write(`${JSON.stringify(final)}\n`);
  else {
    const p = final.progress;
    io.stdout.write(`run ${final.id} ${final.status}: ${p.succeeded} succeeded, ${p.failed} failed, ${p.manual} manual, ${p.skipped} skipped of ${p.total}${final.reason ? ` (${final.reason})` : ''}\n`);
  }
  return final.status === 'SUCCEEDED' ? 0 : 1;
}

function eventLine(e: RunEvent): string {
  const parts = [`#${e.sequence}`, e.type];
  if (e.device?.name) parts.push(e.device.name);
  if (e.task) parts.push(`${e.task}${e.attempt && e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
  if (e.message) parts.push(`- ${e.message}`);
  if (e.type === 'RUN_FINISHED' && e.data?.status && !e.message?.includes(String(e.data.status))) parts.push(`- ${e.data.status}`);
  return parts.join(' ');
}

async function regionIdOf(client: CratonClient, name: string): Promise<string> {
  const data = await client.request<{ regions: { edges: Array<{ node: { id: string } }> } }>(
    'query CratonCliRegion($name: String) { regions(name: $name, first: 2) { edges { node { id } } } }', { name },
  );
  if (data.regions.edges.length !== 1) throw new CliError(data.regions.edges.length ? `several regions are named '${name}'` : `no region named '${name}'`);
  return data.regions.edges[0]!.node.id;
}
