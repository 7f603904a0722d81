import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { KeyAuthenticator } from './auth/keys.js';
import type { Principal } from './auth/principal.js';
import type { Config } from './config.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import { refKey } from './ids.js';
import type { Catalog } from './inventory/catalog.js';
import { createLoaders } from './inventory/loaders.js';
import type { Scope } from './inventory/scope.js';
import { dialectOf } from './store/data-source.js';
import type { Logger } from './logger.js';
import type { PubSub } from './pubsub.js';
import type { WorkflowService } from '../workflows/engine/service.js';
import { ProjectRow } from './store/entities.js';
import type { SqlTally } from './store/sql-counter.js';
import type { OperationRecord } from './observability/observer.js';

/** What lives as long as the process: built once by the composition root (src/server.ts). */
export interface AppServices {
  config: Config;
  ds: DataSource;
  auth: KeyAuthenticator;
  catalog: Catalog;
  logger: Logger;
  /** Live events (persisted first by their writers). */
  pubsub: PubSub;
  /** The workflow engine, once started. */
  workflows?: WorkflowService;
}

/** The GraphQL context: one per HTTP request or subscription operation. */
export interface Context {
  app: AppServices;
  scope: Scope;
  principal: Principal;
  requestId: string;
  /** SQL statements this request ran so far, when it is counted (see `countStatements`). */
  sql?: SqlTally;
  /** The operation's log and metrics record (HTTP requests; see src/observability). */
  operation?: OperationRecord;
}

/** Credentials as they arrive over HTTP headers or graphql-ws connectionParams. */
export interface Credentials {
  authorization?: string;
  /** Global id of the project to act in (root only, or the caller's own). */
  project?: string;
  requestId?: string;
}

/**
 * Authenticates the caller and fixes the project the request acts in: the user's own, or for root the
 * one named by X-Craton-Project. A non-root caller naming another project is FORBIDDEN; root naming an
 * unknown project gets NOT_FOUND. Costs one statement (two when root switches project).
 */
export async function buildContext(app: AppServices, creds: Credentials, sql?: SqlTally): Promise<Context> {
  const principal = await app.auth.authenticate(creds.authorization);
  let projectId = principal.homeProjectId;
  if (creds.project) {
    const { key } = refKey(creds.project, 'Project', 'X-Craton-Project');
    if (key !== principal.homeProjectId) {
      if (!principal.isRoot) throw new ForbiddenError('X-Craton-Project: only root users may act in another project');
      const exists = await app.ds.getRepository(ProjectRow).exists({ where: { id: key } });
      if (!exists) throw new NotFoundError('Project', creds.project);
    }
    projectId = key;
  }
  const requestId = creds.requestId && /^[\w.-]{1,128}$/.test(creds.requestId) ? creds.requestId : randomUUID();
  const scope: Scope = {
    ds: app.ds,
    dialect: dialectOf(app.ds),
    principal,
    projectId,
    loaders: createLoaders(app.ds, projectId, principal.isRoot),
    requestId,
    events: app.pubsub,
    sources: (id) => app.catalog.sourcesOf(id),
    notices: [],
  };
  return { app, scope, principal, requestId, sql };
}
