import type { DataSource } from 'typeorm';
import { ForbiddenError, InputError, NotFoundError } from '../errors.js';
import { refKey } from '../ids.js';
import { upsertVariables } from '../inventory/common.js';
import { inTransaction, now, type Scope } from '../inventory/scope.js';
import { checkName, checkVariables } from '../inventory/validate.js';
import { ApiKeyRow, ProjectRow, UserRow, type RoleName } from '../store/entities.js';
import { generateSecret, hashSecret, prefixOf } from './keys.js';
import { exclusiveWrite, storeTransaction } from '../store/transaction.js';
import { hasRole, requireRole, requireRoot } from './principal.js';

// Projects, users and API keys: the tenancy the rest of Craton stands on.

export async function createProject(scope: Scope, input: { name: string; variables?: unknown }, maxVarBytes: number): Promise<ProjectRow> {
  requireRoot(scope.principal, 'createProject');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  return inTransaction(scope, `project '${name}' conflicts`, async (em) => {
    const row = await em.getRepository(ProjectRow).save(Object.assign(new ProjectRow(), { name, createdAt: now(), updatedAt: null }));
    await upsertVariables(em, { ...scope, projectId: row.id }, 'project', row.id, vars);
    return row;
  });
}

export async function createUser(scope: Scope, input: { name: string; role: RoleName; projectId?: string | null }): Promise<UserRow> {
  requireRole(scope.principal, 'ADMIN', 'createUser');
  const name = checkName(input.name);
  let projectId = scope.projectId;
  if (input.projectId != null) {
    const { key } = refKey(input.projectId, 'Project', 'projectId');
    if (key !== scope.projectId) {
      requireRoot(scope.principal, 'createUser in another project');
      const project = await scope.ds.getRepository(ProjectRow).findOneBy({ id: key });
      if (!project) throw new NotFoundError('Project', input.projectId);
    }
    projectId = key;
  }
  return inTransaction(scope, `a user named '${name}' already exists in this project`, (em) =>
    em.getRepository(UserRow).save(Object.assign(new UserRow(), { projectId, name, role: input.role, isRoot: false, createdAt: now(), updatedAt: null })),
  );
}

/** Creates a key for a user of the caller's project (ADMIN, or the user themself); the secret is returned once. */
export async function createApiKey(scope: Scope, userId: string, name: string | null | undefined, expiresAt: Date | null | undefined): Promise<{ secret: string; apiKey: ApiKeyRow }> {
  const { key } = refKey(userId, 'User', 'userId');
  const user = await scope.loaders.user.load(key);
  if (!user) throw new NotFoundError('User', userId);
  if (user.id !== scope.principal.userId && !hasRole(scope.principal, 'ADMIN')) {
    throw new ForbiddenError('createApiKey for another user requires the ADMIN role');
  }
  if (user.isRoot && !scope.principal.isRoot) throw new ForbiddenError('only root may create keys for a root user');
  if (name != null) checkName(name);
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw new InputError(`options.expiresAt must be in the future, got ${expiresAt.toISOString()}`, { argument: 'options.expiresAt' });
  const secret = generateSecret();
  const apiKey = await inTransaction(scope, 'key collision', (em) => em.getRepository(ApiKeyRow).save(issueKey(user, secret, name ?? null, expiresAt ?? null)));
  return { secret, apiKey };
}

function issueKey(user: UserRow, secret: string, name: string | null, expiresAt: Date | null): ApiKeyRow {
  return Object.assign(new ApiKeyRow(), {
    userId: user.id, projectId: user.projectId, name, prefix: prefixOf(secret), tokenHash: hashSecret(secret),
    createdAt: now(), expiresAt, revokedAt: null, lastUsedAt: null,
  });
}

/** Revokes a key of the caller's project (ADMIN, or its owner); true when it was active until now. */
export async function revokeApiKey(scope: Scope, id: string): Promise<boolean> {
  const { key } = refKey(id, 'ApiKey');
  const row = await scope.ds.getRepository(ApiKeyRow).findOneBy({ id: key, projectId: scope.projectId });
  if (!row) throw new NotFoundError('ApiKey', id);
  if (row.userId !== scope.principal.userId && !hasRole(scope.principal, 'ADMIN')) {
    throw new ForbiddenError("revokeApiKey of another user's key requires the ADMIN role");
  }
  if (row.revokedAt) return false;
  const result = await exclusiveWrite(scope.ds, () => scope.ds.getRepository(ApiKeyRow).createQueryBuilder().update().set({ revokedAt: now() })
    .where('id = :id AND revoked_at IS NULL', { id: row.id }).execute());
  return (result.affected ?? 1) > 0;
}

/**
 * On an empty store, creates the `default` project, the root user `root` and its key: the given one
 * (CRATON_BOOTSTRAP_KEY) or a new one. Returns the key, or undefined when the store already had users.
 */
export async function bootstrap(ds: DataSource, givenKey: string | undefined): Promise<{ key: string; fromEnv: boolean } | undefined> {
  return storeTransaction(ds, async (em) => {
    if ((await em.getRepository(UserRow).count()) > 0) return undefined;
    const project = await em.getRepository(ProjectRow).save(Object.assign(new ProjectRow(), { name: 'default', createdAt: now(), updatedAt: null }));
    const user = await em.getRepository(UserRow).save(Object.assign(new UserRow(), {
      projectId: project.id, name: 'root', role: 'ADMIN', isRoot: true, createdAt: now(), updatedAt: null,
    }));
    const key = givenKey ?? generateSecret();
    await em.getRepository(ApiKeyRow).save(issueKey(user, key, 'bootstrap', null));
    return { key, fromEnv: givenKey !== undefined };
  });
}

