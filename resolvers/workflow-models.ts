// What the workflow GraphQL types resolve from: the engine's records (workflows/engine/records.ts), bound to
// the SDL by codegen's `mappers` (codegen.mjs); and the two helpers `node(id:)` needs for them. Nothing here
// imports a resolver module at run time, so resolvers/common.ts may import it without a cycle.
import type { Context } from '../src/context.js';
import type { IdType } from '../src/ids.js';
import type { Connection } from '../src/pagination.js';
import type { EventRecord, RunRecord, ScheduleRecord, TargetRecord } from '../workflows/engine/records.js';
import type { Progress } from '../workflows/engine/service.js';
import type { WorkflowDefinition } from '../workflows/types.js';

export type WorkflowDefinitionModel = WorkflowDefinition;
export type WorkflowRunModel = RunRecord;
export type WorkflowTargetModel = TargetRecord;
export type WorkflowEventModel = EventRecord;
export type WorkflowScheduleModel = ScheduleRecord;
export type WorkflowProgressModel = Progress;
export type WorkflowRunConnectionModel = Connection<RunRecord>;
export type WorkflowTargetConnectionModel = Connection<TargetRecord>;
export type WorkflowScheduleConnectionModel = Connection<ScheduleRecord>;
export type WorkflowRunEdgeModel = { cursor: string; node: RunRecord };
export type WorkflowTargetEdgeModel = { cursor: string; node: TargetRecord };
export type WorkflowScheduleEdgeModel = { cursor: string; node: ScheduleRecord };

/** The GraphQL type of a workflow record, for `Node.__resolveType`; null for anything else. */
export function workflowTypeNameOf(obj: unknown): 'WorkflowRun' | 'WorkflowSchedule' | null {
  if (typeof obj !== 'object' || obj === null || obj.constructor !== Object) return null;
  if ('totalTargets' in obj && 'workflow' in obj) return 'WorkflowRun';
  if ('cron' in obj && 'workflow' in obj) return 'WorkflowSchedule';
  return null;
}

/** For `node(id:)`: a run or schedule of the caller's project by key, or null (also when the engine is absent). */
export async function loadWorkflowNode(ctx: Context, type: IdType, key: number): Promise<RunRecord | ScheduleRecord | null> {
  const queries = ctx.app.workflows?.queries;
  if (!queries) return null;
  if (type === 'WorkflowRun') return queries.run(ctx.scope.projectId, key);
  if (type === 'WorkflowSchedule') return queries.schedule(ctx.scope.projectId, key);
  return null;
}
