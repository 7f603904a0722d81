import { createApiKey, createProject, createUser, revokeApiKey } from '../src/auth/admin.js';
import { hasRole } from '../src/auth/principal.js';
import { ForbiddenError, NotFoundError } from '../src/errors.js';
import { cloudsOf, listProjects, listUsers } from '../src/inventory/lists.js';
import type { Resolvers } from '../src/generated/graphql.js';
import { UserRow } from '../src/store/entities.js';
import { connectionFields, globalId, holderFields } from './common.js';

export const authResolvers: Resolvers = {
  Query: {
    me: (_p, _a, ctx) => ctx.principal,
    projects: (_p, args, ctx) => listProjects(ctx.scope, args),
  },
  Mutation: {
    createProject: (_p, { input }, ctx) => createProject(ctx.scope, input, ctx.app.config.maxVariableBytes),
    createUser: (_p, { input }, ctx) => createUser(ctx.scope, input),
    createApiKey: (_p, { userId, name, options }, ctx) => createApiKey(ctx.scope, userId, name, options?.expiresAt),
    revokeApiKey: (_p, { id }, ctx) => revokeApiKey(ctx.scope, id),
  },
  Principal: {
    user: async (p, _a, ctx) => {
      const user = await ctx.scope.loaders.user.load(p.userId);
      if (user) return user;
      // Root acting in another project: its user row lives in its home project.
      return ctx.app.ds.getRepository(UserRow).findOneByOrFail({ id: p.userId });
    },
    role: (p) => (p.isRoot ? 'ADMIN' : p.role),
    isRoot: (p) => p.isRoot,
    project: async (_p, _a, ctx) => {
      const project = await ctx.scope.loaders.project.load(ctx.scope.projectId);
      if (!project) throw new NotFoundError('Project');
      return project;
    },
  },
  Project: {
    ...holderFields,
    clouds: (p, args, ctx) => cloudsOf(ctx.scope, p.id, args),
    users: (p, args, ctx) => {
      if (!hasRole(ctx.principal, 'ADMIN')) throw new ForbiddenError('Project.users requires the ADMIN role');
      return listUsers(ctx.scope, p.id, args);
    },
  },
  User: {
    id: globalId,
    project: async (u, _a, ctx) => {
      const project = await ctx.scope.loaders.project.load(u.projectId);
      if (!project) throw new NotFoundError('Project');
      return project;
    },
    apiKeys: (u, _a, ctx) => {
      if (u.id !== ctx.principal.userId && !hasRole(ctx.principal, 'ADMIN')) throw new ForbiddenError("listing another user's keys requires the ADMIN role");
      return ctx.scope.loaders.apiKeysByUser.load(u.id);
    },
  },
  ApiKey: {
    id: globalId,
    user: async (k, _a, ctx) => {
      const user = await ctx.scope.loaders.user.load(k.userId);
      if (!user) throw new NotFoundError('User');
      return user;
    },
  },
  ProjectConnection: connectionFields,
  UserConnection: connectionFields,
};
