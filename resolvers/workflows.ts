import DataLoader from 'dataloader';
import type { Context } from '../src/context.js';
import { CratonError, SourceUnavailableError, toGraphQLError } from '../src/errors.js';
import type { Resolvers } from '../src/generated/graphql.js';
import { fromGlobalId, REFERENCE_SOURCE, toGlobalId } from '../src/ids.js';
import type { DeviceModel } from '../src/inventory/catalog.js';
import { loadFederatedHost } from '../src/inventory/federation.js';
import type { RunRecord } from '../workflows/engine/records.js';
import type { Progress, WorkflowService } from '../workflows/engine/service.js';
import { connectionFields } from './common.js';

/** The engine, or an error saying it is not wired (the composition root builds and starts it). */
function engine(ctx: Context): WorkflowService {
  if (!ctx.app.workflows) throw new Error('the workflow engine is not configured in this gateway');
  return ctx.app.workflows;
}

/** Per-request loaders of the workflow types, kept beside the request's context. */
const loaders = new WeakMap<Context, { progress: DataLoader<RunRecord, Progress, number> }>();

function progressLoader(ctx: Context): DataLoader<RunRecord, Progress, number> {
  let l = loaders.get(ctx);
  if (!l) {
    l = { progress: new DataLoader((runs) => engine(ctx).progress(runs), { cacheKeyFn: (r) => r.id }) };
    loaders.set(ctx, l);
  }
  return l.progress;
}

/** A device by global id, of the caller's project; null when gone, not visible, or its source is down. */
async function deviceById(ctx: Context, id: string | null): Promise<DeviceModel | null> {
  if (!id) return null;
  const g = fromGlobalId(id);
  if (g.source !== REFERENCE_SOURCE) {
    if (!ctx.scope.sources) return null;
    return loadFederatedHost(ctx.scope, ctx.scope.sources, id).catch((err) => {
      if (err instanceof SourceUnavailableError) ctx.scope.notices?.push(err);
      return null;
    });
  }
  if (!/^[1-9]\d{0,15}$/.test(g.key)) return null;
  const row = await ctx.scope.loaders.device.load(Number(g.key));
  return row && (row.kind === 'host') === (g.type === 'Host') ? row : null;
}

/**
 * Subscription set-up errors as GraphQLErrors carrying `extensions.code`: graphql-ws sends them without
 * passing through Apollo's formatError, so a NOT_FOUND must already be coded when it is thrown.
 */
async function coded<T>(stream: Promise<T>): Promise<T> {
  try {
    return await stream;
  } catch (err) {
    throw err instanceof CratonError ? toGraphQLError(err) : err;
  }
}

const runId = (r: { id: number }) => toGlobalId('WorkflowRun', r.id);

/**
 * The workflow API: thin translations onto the WorkflowService (workflows/engine/service.ts), which checks
 * roles (OPERATOR to start, cancel and schedule) and tenancy (the caller's project only).
 */
export const workflowResolvers: Resolvers = {
  Query: {
    workflows: (_p, _a, ctx) => engine(ctx).definitions(),
    workflowRuns: (_p, args, ctx) => engine(ctx).listRuns(ctx.scope, args),
    workflowRun: (_p, { id }, ctx) => engine(ctx).getRun(ctx.scope, id),
    workflowSchedules: (_p, args, ctx) => engine(ctx).scheduler.list(ctx.scope, args),
  },
  Mutation: {
    startWorkflow: (_p, { input }, ctx) => engine(ctx).startRun(ctx.scope, input),
    cancelWorkflowRun: (_p, { id }, ctx) => engine(ctx).cancelRun(ctx.scope, id),
    createWorkflowSchedule: (_p, { input }, ctx) => engine(ctx).createSchedule(ctx.scope, input),
    deleteWorkflowSchedule: (_p, { id }, ctx) => engine(ctx).deleteSchedule(ctx.scope, id),
  },
  Subscription: {
    workflowRunEvents: {
      subscribe: (_p, { runId: id, afterSequence }, ctx) => coded(engine(ctx).runEvents(ctx.scope, id, afterSequence)) as never,
      resolve: (event: unknown) => event as never,
    },
    workflowRunUpdated: {
      subscribe: (_p, { workflow }, ctx) => coded(engine(ctx).runUpdates(ctx.scope, workflow)) as never,
      resolve: (run: unknown) => run as never,
    },
  },
  WorkflowDefinition: {
    tasks: (d) => d.tasks.map((t) => t.name),
    resumable: (d) => d.resumable !== false,
    parameters: (d) => d.parameters,
  },
  WorkflowRun: {
    id: runId,
    progress: (r, _a, ctx) => progressLoader(ctx).load(r),
    targets: (r, args, ctx) => engine(ctx).listTargets(r, args),
    events: (r, args, ctx) => engine(ctx).listEvents(r, args),
    schedule: (r, _a, ctx) => (r.scheduleId == null ? null : engine(ctx).queries.schedule(ctx.scope.projectId, r.scheduleId)),
  },
  WorkflowTarget: {
    device: (t, _a, ctx) => deviceById(ctx, t.deviceId),
  },
  WorkflowEvent: {
    runId: (e) => toGlobalId('WorkflowRun', e.runId),
    device: (e, _a, ctx) => deviceById(ctx, e.deviceId),
  },
  WorkflowSchedule: {
    id: (s) => toGlobalId('WorkflowSchedule', s.id),
    lastRun: (s, _a, ctx) => (s.lastRunId == null ? null : engine(ctx).queries.run(ctx.scope.projectId, s.lastRunId)),
  },
  WorkflowRunConnection: connectionFields,
  WorkflowTargetConnection: connectionFields,
  WorkflowScheduleConnection: connectionFields,
};
