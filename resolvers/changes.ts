import { followChanges, listChanges } from '../src/inventory/history.js';
import { toGlobalId } from '../src/ids.js';
import type { ChangeEvent } from '../src/inventory/changes.js';
import type { Resolvers } from '../src/generated/graphql.js';
import { connectionFields } from './common.js';

export const changeResolvers: Resolvers = {
  Query: {
    changes: (_p, args, ctx) => listChanges(ctx.scope, args),
  },
  Subscription: {
    inventoryChanged: {
      subscribe: (_p, { objectTypes }, ctx) => followChanges(ctx.scope, objectTypes),
      resolve: (event: ChangeEvent) => event,
    },
  },
  Change: {
    id: (c) => toGlobalId('Change', c.id),
    at: (c) => new Date(c.at),
  },
  ChangeConnection: connectionFields,
};
