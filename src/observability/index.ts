import type { ApolloServerPlugin } from '@apollo/server';
import type { Express } from 'express';
import type { ServerOptions } from 'graphql-ws';
import type { DataSource } from 'typeorm';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import type { Logger } from '../logger.js';
import { observabilityPlugin } from './apollo-plugin.js';
import { graphqlObserverMiddleware, metricsHandler, requestIdMiddleware } from './http.js';
import { GatewayMetrics } from './metrics.js';
import { OperationObserver } from './observer.js';
import { observeWebSocket } from './ws.js';

export { GatewayMetrics, operationName } from './metrics.js';
export type { OperationSample, OperationType } from './metrics.js';
export { codeOf, requestIdFrom } from './observer.js';
export { httpOperation } from './http.js';

/** Logs and metrics of one gateway; see createObservability. */
export interface Observability {
  /** The gateway's metrics; undefined when CRATON_METRICS is off. */
  readonly metrics?: GatewayMetrics;
  /** The Apollo plugin (register it after the plugins that add errors to responses, e.g. source notices). */
  readonly plugin: ApolloServerPlugin<Context>;
  /**
   * Mounts request ids (every route; call before the other routes), `GET /metrics` (when enabled) and the
   * operation record around `/graphql` (call before Apollo's middleware).
   */
  mount(app: Express): void;
  /** Wraps graphql-ws server options: per-operation logs and metrics, active subscriptions. */
  observeWebSocket<T extends ServerOptions<any, any>>(options: T): T;
  /** One call to an external source (see GatewayMetrics.sourceCall); does nothing when metrics are off. */
  sourceCall(source: string, op: string, ms: number, ok: boolean): void;
}

/**
 * The gateway's observability: one structured log line per GraphQL operation (request id, operation,
 * project, user, duration, SQL statements, error codes) and, when `config.metrics`, a Prometheus registry
 * of its own served on `GET /metrics` (optionally behind `config.metricsToken`).
 */
export function createObservability(config: Config, deps: { logger: Logger; ds?: DataSource | (() => DataSource | undefined) }): Observability {
  const metrics = config.metrics ? new GatewayMetrics({ ds: deps.ds, logger: deps.logger }) : undefined;
  const observer = new OperationObserver(deps.logger, metrics);
  return {
    metrics,
    plugin: observabilityPlugin(observer),
    mount(app) {
      app.use(requestIdMiddleware());
      if (metrics) app.get('/metrics', metricsHandler(metrics, config.metricsToken));
      app.use('/graphql', graphqlObserverMiddleware(observer));
    },
    observeWebSocket: (options) => observeWebSocket(observer, options),
    sourceCall: (source, op, ms, ok) => metrics?.sourceCall(source, op, ms, ok),
  };
}
