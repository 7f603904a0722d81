import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { fromGlobalId, REFERENCE_SOURCE, toGlobalId, type IdType } from '../src/ids.js';
import { deleteNode } from '../src/inventory/delete.js';
import { holderType, ownVariables, resolved, resolvedValues } from '../src/inventory/variables.js';
import type { Connection } from '../src/pagination.js';
import { ApiKeyRow, UserRow } from '../src/store/entities.js';
import type { Context } from '../src/context.js';
import type { Resolvers } from '../src/generated/graphql.js';
import type { Holder, NodeModel } from './models.js';
import { loadWorkflowNode, workflowTypeNameOf } from './workflow-models.js';
import { FederatedHost } from '../src/inventory/federated-source.js';
import { loadFederatedHost } from '../src/inventory/federation.js';
import { SourceUnavailableError } from '../src/errors.js';

/** The GraphQL type name of any record we serve. */
export function typeNameOf(obj: NodeModel): IdType {
  const workflowType = workflowTypeNameOf(obj);
  if (workflowType) return workflowType;
  if (obj instanceof UserRow) return 'User';
  if (obj instanceof ApiKeyRow) return 'ApiKey';
  // Every other record holds variables; holderType throws for anything else.
  return holderType(obj as Holder);
}

/** `id` of any record: its global id. */
export const globalId = (obj: NodeModel): string =>
  obj instanceof FederatedHost ? toGlobalId('Host', obj.record.key, obj.source) : toGlobalId(typeNameOf(obj), obj.id);

/** Fields every VariableHolder shares: own variables, resolved variables, origins. */
export const holderFields = {
  id: globalId,
  variables: (h: Holder, _a: unknown, ctx: Context) => ownVariables(ctx.scope, h),
  resolvedVariables: (h: Holder, a: { keys?: string[] | null }, ctx: Context) => resolvedValues(ctx.scope, h, a.keys),
  variableOrigins: async (h: Holder, a: { keys?: string[] | null }, ctx: Context) => (await resolved(ctx.scope, h, a.keys)).origins,
};

/** Resolvers of every connection type: `totalCount` runs its count statement only when selected. */
export const connectionFields = { totalCount: (c: Connection<unknown>) => c.totalCount() };

/** Loads any node of the caller's project by global id; null when it does not exist or is not visible. */
async function loadNode(ctx: Context, id: string): Promise<NodeModel | null> {
  const g = fromGlobalId(id);
  if (g.source !== REFERENCE_SOURCE) {
    if (!ctx.scope.sources) return null;
    try {
      return await loadFederatedHost(ctx.scope, ctx.scope.sources, id);
    } catch (err) {
      if (err instanceof SourceUnavailableError) throw err;
      return null;
    }
  }
  if (!/^[1-9]\d{0,15}$/.test(g.key)) return null;
  const key = Number(g.key);
  const l = ctx.scope.loaders;
  switch (g.type) {
    case 'Project': return l.project.load(key);
    case 'User': return l.user.load(key);
    case 'Cloud': return l.cloud.load(key);
    case 'Region': return l.region.load(key);
    case 'Cell': return l.cell.load(key);
    case 'Host': return l.device.load(key).then((d) => (d?.kind === 'host' ? d : null));
    case 'NetworkDevice': return l.device.load(key).then((d) => (d?.kind === 'network_device' ? d : null));
    case 'Network': return l.network.load(key);
    case 'NetworkInterface': return l.iface.load(key);
    case 'ApiKey': {
      const row = await ctx.app.ds.getRepository(ApiKeyRow).findOneBy({ id: key, projectId: ctx.scope.projectId });
      return row && (row.userId === ctx.principal.userId || ctx.principal.role === 'ADMIN' || ctx.principal.isRoot) ? row : null;
    }
    case 'WorkflowRun':
    case 'WorkflowSchedule':
      return loadWorkflowNode(ctx, g.type, key);
    default: return null;
  }
}

export const commonResolvers: Resolvers = {
  JSON: JSONResolver,
  DateTime: DateTimeResolver,
  Node: { __resolveType: (obj) => typeNameOf(obj) as never },
  VariableHolder: { __resolveType: (obj) => typeNameOf(obj) as never },
  Query: {
    node: (_p, { id }, ctx) => loadNode(ctx, id),
  },
  Mutation: {
    deleteNode: (_p, { id }, ctx) => deleteNode(ctx.scope, id),
  },
};

