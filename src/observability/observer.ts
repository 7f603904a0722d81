import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { SqlTally } from '../store/sql-counter.js';
import { operationName, type GatewayMetrics, type OperationType } from './metrics.js';

/** What the gateway learns about one GraphQL operation while it runs; reported once when it ends. */
export interface OperationRecord {
  requestId: string;
  transport: 'http' | 'ws';
  /** performance.now() at the start. */
  started: number;
  /** The operation's name as sent (a GraphQL name, cut to 64 characters), or `anonymous`. */
  operation: string;
  type: OperationType;
  /** `extensions.code` of every error the client got. */
  codes: string[];
  /** Internal id of the project the request acted in, once authenticated. */
  projectId?: number;
  /** Name of the authenticated user. */
  user?: string;
  /** The request's SQL tally (shared with the GraphQL context). */
  tally?: SqlTally;
  httpStatus?: number;
  done?: boolean;
}

/** Request ids we accept from clients (X-Request-Id); the same rule as src/context.ts. */
const REQUEST_ID = /^[\w.-]{1,128}$/;

/** The client's X-Request-Id when it is acceptable, otherwise a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}

/** The `extensions.code` of a (formatted or raw) GraphQL error; INTERNAL_SERVER_ERROR when it has none. */
export function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Turns finished operations into one structured log line each and into metrics. Shared by the HTTP
 * middleware, the Apollo plugin and the graphql-ws hooks.
 */
export class OperationObserver {
  constructor(
    readonly logger: Logger,
    readonly metrics: GatewayMetrics | undefined,
  ) {}

  start(transport: 'http' | 'ws', requestId: string): OperationRecord {
    return { requestId, transport, started: performance.now(), operation: operationName(undefined), type: 'unknown', codes: [] };
  }

  /** Reports the operation (once: later calls do nothing). */
  finish(rec: OperationRecord): void {
    if (rec.done) return;
    rec.done = true;
    const ms = performance.now() - rec.started;
    const sqlStatements = rec.tally?.statements;
    this.metrics?.operation({
      operation: rec.operation,
      type: rec.type,
      seconds: rec.type === 'subscription' ? undefined : ms / 1000,
      sqlStatements: rec.type === 'subscription' ? undefined : sqlStatements,
      codes: rec.codes,
    });
    this.logger.info(
      {
        requestId: rec.requestId,
        transport: rec.transport,
        operation: rec.operation,
        operationType: rec.type,
        projectId: rec.projectId ?? null,
        user: rec.user ?? null,
        durationMs: Math.round(ms * 100) / 100,
        sqlStatements: sqlStatements ?? null,
        errorCodes: [...new Set(rec.codes)],
        ...(rec.httpStatus !== undefined ? { httpStatus: rec.httpStatus } : {}),
      },
      rec.type === 'subscription' ? 'graphql subscription ended' : 'graphql operation',
    );
  }
}
