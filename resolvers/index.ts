import type { Resolvers } from '../src/generated/graphql.js';
import { authResolvers } from './auth.js';
import { changeResolvers } from './changes.js';
import { commonResolvers } from './common.js';
import { inventoryResolvers } from './inventory.js';
import { variableResolvers } from './variables.js';
import { workflowResolvers } from './workflows.js';

/** Every resolver map, one per area (mirroring schema/); merged by @graphql-tools/schema. */
export const resolvers: Resolvers[] = [commonResolvers, authResolvers, inventoryResolvers, variableResolvers, changeResolvers, workflowResolvers];
