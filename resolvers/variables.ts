import { ansibleInventory } from '../src/inventory/catalog.js';
import { deleteVariables, setVariables } from '../src/inventory/variables.js';
import type { Resolvers } from '../src/generated/graphql.js';
import { SourceAttributes } from '../src/inventory/federated-source.js';
import { REFERENCE_SOURCE } from '../src/ids.js';

export const variableResolvers: Resolvers = {
  Query: {
    ansibleInventory: (_p, { filter }, ctx) => ansibleInventory(ctx.scope, ctx.app.catalog, filter),
  },
  Mutation: {
    setVariables: (_p, { id, values }, ctx) => setVariables(ctx.scope, id, values, ctx.app.config.maxVariableBytes),
    deleteVariables: (_p, { id, keys }, ctx) => deleteVariables(ctx.scope, id, keys),
  },
  VariableOrigin: {
    holder: (o) => (o.holder instanceof SourceAttributes ? o.holder.host : o.holder),
    source: (o) => (o.holder instanceof SourceAttributes ? o.holder.host.source : REFERENCE_SOURCE),
  },
};

