import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parse, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import { resolvers } from '../resolvers/index.js';
import { ReferenceSource } from '../sources/reference/index.js';
import { bootstrap } from './auth/admin.js';
import { KeyAuthenticator } from './auth/keys.js';
import { ConfigError, projectRoot, type Config } from './config.js';
import { buildContext, type AppServices, type Context, type Credentials } from './context.js';
import { CratonError, formatError, InputError, toGraphQLError } from './errors.js';
import { DEFAULT_LIMITS, limitChecker, type QueryLimits } from './limits.js';
import { createLogger, type Logger } from './logger.js';
import { createPubSub } from './pubsub.js';
import { loadConfigFile } from './config-file.js';
import { buildSources } from '../sources/registry.js';
import { Catalog } from './inventory/catalog.js';
import { FederatedSource } from './inventory/federated-source.js';
import { createCoreDataSource } from './inventory/data-source.js';
import { openStore, refreshStatistics } from './store/data-source.js';
import { codeOf, createObservability, httpOperation } from './observability/index.js';
import { mountGraphiql } from './graphiql/index.js';
import { countStatements, type SqlTally } from './store/sql-counter.js';
import { sharedSubscribe } from './subscriptions.js';
import { openstackDefinitions } from '../workflows/definitions/openstack/index.js';
import { openStackDriverFromConfig } from '../workflows/drivers/openstack.js';
import { COMMAND_DRIVER, CommandDriver } from '../workflows/drivers/command.js';
import { createWorkflowService } from '../workflows/engine/service.js';
import { createRegistry, loadPlugins } from '../workflows/registry.js';

/** A running (or ready to run) gateway: one http.Server with Apollo on POST /graphql and graphql-ws on the same path. */
export interface Gateway {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  /** Set when this start bootstrapped an empty store: the root key (printed once unless it came from CRATON_BOOTSTRAP_KEY). */
  readonly bootstrap?: { key: string; fromEnv: boolean };
  /** Starts listening on config.host:config.port (port 0 picks a free one); resolves to the base URL, e.g. http://127.0.0.1:4000. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work, close sockets, drain requests, close the store. */
  stop(): Promise<void>;
}

/** The SDL, one file per area, in a stable order. */
export function loadTypeDefs(): string[] {
  const dir = join(projectRoot, 'schema');
  return readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
}

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
}

/** Reads the credentials of an HTTP request. */
function httpCredentials(req: Request): Credentials {
  return {
    authorization: req.header('authorization'),
    project: req.header('x-craton-project') || undefined,
    requestId: req.header('x-request-id') || undefined,
  };
}

/** Reports `extensions.sqlStatements` to clients that ask (header x-craton-debug-sql: 1). */
function sqlCountPlugin(enabled: boolean): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      if (!enabled || request.http?.headers.get('x-craton-debug-sql') !== '1') return;
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, sqlStatements: contextValue.sql?.statements };
          }
        },
      };
    },
  };
}

/**
 * Reports failures of external sources beside the data: each becomes a SOURCE_UNAVAILABLE error while
 * the rest of the answer (other sources' devices) still arrives.
 */
function sourceNoticesPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const notices = contextValue.scope?.notices ?? [];
          if (!notices.length || response.body.kind !== 'single') return;
          const seen = new Set<string>();
          const extra = notices.filter((n) => !seen.has(n.message) && seen.add(n.message)).map((n) => ({ message: n.message, extensions: { ...n.details, code: n.code } }));
          response.body.singleResult.errors = [...(response.body.singleResult.errors ?? []), ...extra];
        },
      };
    },
  };
}

/**
 * The composition root: opens the store (running migrations), bootstraps an empty store, and wires
 * Apollo Server and graphql-ws onto one http.Server. Nothing listens until `listen()`.
 */
export async function createGateway(config: Config, injected?: { logger?: Logger }): Promise<Gateway> {
  const logger = injected?.logger ?? createLogger(config.logLevel);
  // The config file is read and every source built BEFORE the store is touched: a bad config stops the
  // start without side effects (no bootstrap key created and lost).
  const fileConfig = loadConfigFile(config.configFile);
  const deps = { fetch: globalThis.fetch, logger, now: Date.now, env: process.env };
  // Source calls report to the metrics, which exist once the store is open (sources are not called before).
  let observeSource: ((source: string, op: string, ms: number, ok: boolean) => void) | undefined;
  const external = (await buildSources(fileConfig.sources, deps, fileConfig.path))
    .map((s, i) => new FederatedSource(s, fileConfig.sources[i]!, logger, Date.now, (...a) => observeSource?.(...a)));
  const workflowPlugins = await loadPlugins(fileConfig.workflowPlugins, fileConfig.path ? dirname(fileConfig.path) : process.cwd());
  // run-command is closed by default: without a workflows.commands allowlist no command may run, since an
  // OPERATOR able to run any executable on the gateway could read every project's data.
  const drivers: Record<string, unknown> = { [COMMAND_DRIVER]: new CommandDriver({ allow: fileConfig.workflowCommands ?? [] }) };
  if (fileConfig.openstack !== undefined) {
    try {
      drivers.openstack = openStackDriverFromConfig(fileConfig.openstack, { env: process.env, log: (msg: string, data?: unknown) => logger.debug({ data }, msg) });
    } catch (err) {
      throw new ConfigError(`${fileConfig.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const ds = createCoreDataSource(config.store, logger);
  let boot: Awaited<ReturnType<typeof bootstrap>>;
  try {
    await openStore(ds);
    boot = await bootstrap(ds, config.bootstrapKey);
  } catch (err) {
    if (ds.isInitialized) await ds.destroy().catch(() => undefined);
    await Promise.all(external.map((s) => s.close().catch(() => undefined)));
    throw err;
  }
  const obs = createObservability(config, { logger, ds });
  const statistics = setInterval(() => refreshStatistics(ds).catch((err) => logger.warn({ err }, 'refreshing statistics failed')), 3_600_000);
  statistics.unref();
  observeSource = (source, op, ms, ok) => obs.sourceCall(source, op, ms, ok);
  if (!boot && config.bootstrapKey) logger.info('CRATON_BOOTSTRAP_KEY ignored: the store already has users');

  const pubsub = createPubSub(config.redisUrl, logger);
  const catalog = new Catalog(new ReferenceSource(ds), external, ds);
  const app: AppServices = { config, ds, logger, pubsub, auth: new KeyAuthenticator(ds), catalog };
  const workflows = createWorkflowService({
    ds, pubsub, logger, catalog, drivers,
    registry: createRegistry([...openstackDefinitions, ...workflowPlugins]),
    maxVariableBytes: config.maxVariableBytes, leaseMs: config.workflowLeaseMs,
  });
  app.workflows = workflows;
  await workflows.start();
  const schema = buildSchema();
  const limits: QueryLimits = { ...DEFAULT_LIMITS, maxDepth: config.maxQueryDepth, maxCost: config.maxQueryCost, maxAliases: config.maxAliases };
  const checkLimits = limitChecker(schema, limits);
  const http = express();
  const httpServer: Server = createServer(http);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.maxBodyBytes });
  const log = (err: unknown) => logger.error({ err }, 'unexpected error');

  const wsCleanup = useServer<Record<string, unknown>>(
    obs.observeWebSocket({
      schema,
      subscribe: sharedSubscribe,
      onConnect: async (ctx) => {
        const p = ctx.connectionParams ?? {};
        const authorization = typeof p.authorization === 'string' ? p.authorization : undefined;
        try {
          // The same checks as HTTP (key, then the project it may act in), once per connection.
          await buildContext(app, { authorization, project: typeof p.project === 'string' ? p.project : undefined });
          return true;
        } catch (err) {
          if (err instanceof CratonError) {
            ctx.extra.socket.close(err.code === 'UNAUTHENTICATED' && !authorization ? 4401 : 4403, err.message.slice(0, 120));
            return false;
          }
          throw err;
        }
      },
      onSubscribe: (_ctx, _id, payload) => {
        try {
          checkLimits(parse(payload.query), payload.variables ?? undefined, payload.operationName ?? undefined);
          return undefined;
        } catch (err) {
          if (err instanceof CratonError) return [toGraphQLError(err)];
          return undefined; // a parse error is reported by graphql-ws's own validation
        }
      },
      context: async (ctx) => {
        const p = ctx.connectionParams ?? {};
        return buildContext(app, { authorization: p.authorization as string | undefined, project: p.project as string | undefined });
      },
      onError: (_ctx, _id, _payload, errors) => {
        errors.forEach((e) => { if (!(e.originalError instanceof CratonError) && e.originalError) log(e.originalError); });
      },
    }),
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    formatError: (formatted, error) => formatError(formatted, error, log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints in this API: without the plugin no hook runs per resolved field (measured: 7% of
      // dashboard throughput), and responses carry no Cache-Control header.
      ApolloServerPluginCacheControlDisabled(),
      sqlCountPlugin(config.exposeSqlCount),
      sourceNoticesPlugin(),
      obs.plugin,
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ document, request, operationName, operation }) {
              if (operation?.operation === 'subscription') {
                throw toGraphQLError(new InputError('subscriptions run over graphql-ws (WebSocket, protocol graphql-transport-ws) on this same /graphql URL, not over HTTP POST'));
              }
              try {
                checkLimits(document, request.variables ?? undefined, operationName ?? undefined);
              } catch (err) {
                if (err instanceof CratonError) throw toGraphQLError(err);
                throw err;
              }
            },
          };
        },
      },
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();

  http.disable('x-powered-by');
  // No ETag: it hashes every response (6 MB for a 1000-host page) for caches that never see a POST.
  http.set('etag', false);
  obs.mount(http);
  mountGraphiql(http, { enabled: config.graphiql, logger });
  http.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  http.get('/readyz', async (_req, res) => {
    try {
      await ds.query('SELECT 1');
      res.json({ status: 'ready', store: config.store.kind });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', store: config.store.kind, error: err instanceof Error ? err.message : String(err) });
    }
  });
  http.use(
    '/graphql',
    express.json({ limit: config.maxBodyBytes }),
    (req: Request, res: Response, next: NextFunction) => {
      if (!config.countSql && !(config.exposeSqlCount && req.header('x-craton-debug-sql') === '1')) {
        next();
        return;
      }
      const tally: SqlTally = { statements: 0 };
      res.locals.tally = tally;
      void countStatements(tally, () => new Promise<void>((done) => {
        res.once('close', done);
        next();
      }));
    },
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const operation = httpOperation(res);
        try {
          const ctx = await buildContext(app, httpCredentials(req), res.locals.tally as SqlTally | undefined);
          ctx.operation = operation;
          return ctx;
        } catch (err) {
          // Authentication (or X-Craton-Project) failed: no request pipeline runs, but the client gets this code.
          const error = err instanceof CratonError ? toGraphQLError(err) : err;
          operation?.codes.push(codeOf(error));
          throw error;
        }
      },
    }),
  );
  http.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    if (status >= 500) log(err);
    const size = (err as { length?: number }).length;
    const message = err.type === 'entity.too.large'
      ? `request body of ${size ?? 'more than ' + config.maxBodyBytes} bytes exceeds the limit of ${config.maxBodyBytes} bytes${size ? ` by ${size - config.maxBodyBytes}` : ''}`
      : status >= 500 ? 'Internal server error' : err.message;
    res.status(status).json({ errors: [{ message, extensions: { code: status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT' } }] });
  });

  let stopped: Promise<void> | undefined;
  return {
    config,
    dataSource: ds,
    logger,
    bootstrap: boot,
    listen: () =>
      new Promise((resolvePromise, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          const addr = httpServer.address();
          const port = typeof addr === 'object' && addr ? addr.port : config.port;
          const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
          resolvePromise(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
        });
      }),
    stop: () =>
      (stopped ??= (async () => {
        for (const client of wsServer.clients) client.close(1001, 'server shutting down');
        await apollo.stop();
        await new Promise<void>((r) => wsServer.close(() => r()));
        if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
        clearInterval(statistics);
        await workflows.stop();
        await pubsub.close();
        await catalog.close();
        await ds.destroy();
      })()),
  };
}
