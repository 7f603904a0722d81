import { ansibleInventory } from '../src/inventory/catalog.js';
import { deleteVariables, setVariables } from '../src/inventory/variables.js';
import type { Resolvers } from '../src/generated/graphql.js';

export const variableResolvers: Resolvers = {
  Query: {
    ansibleInventory: (_p, { filter }, ctx) => ansibleInventory(ctx.scope, ctx.app.catalog, filter),
  },
  Mutation: {
    setVariables: (_p, { id, values }, ctx) => setVariables(ctx.scope, id, values, ctx.app.config.maxVariableBytes),
    deleteVariables: (_p, { id, keys }, ctx) => deleteVariables(ctx.scope, id, keys),
  },
  VariableOrigin: {
    holder: (o) => o.holder,
  },
};

