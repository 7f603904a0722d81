import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger.js';
import type { RunStatus, TargetStatus } from '../../workflows/types.js';

/** What kind of GraphQL operation a request was; `unknown` when it never got that far (parse error, bad auth). */
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** Longest operation name used as a label value (longer names are cut). */
export const MAX_OPERATION_LABEL = 64;
/** Distinct operation names one gateway labels; later new names count under `OTHER_OPERATIONS`. */
export const MAX_OPERATION_NAMES = 500;
export const ANONYMOUS_OPERATION = 'anonymous';
export const OTHER_OPERATIONS = 'other';

/** Statuses always reported (as 0 when absent) so dashboards see every series; others found in the store are added. */
const RUN_STATUSES: readonly RunStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'PARTIAL', 'CANCELLING', 'CANCELLED'];
const TARGET_STATUSES: readonly TargetStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'REVERTED', 'MANUAL', 'SKIPPED'];

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * An operation name fit for logs and labels: a GraphQL name cut to MAX_OPERATION_LABEL characters, or
 * `anonymous` when there is none (or what the client sent is not a GraphQL name).
 */
export function operationName(name: string | null | undefined): string {
  if (!name || !GRAPHQL_NAME.test(name)) return ANONYMOUS_OPERATION;
  return name.slice(0, MAX_OPERATION_LABEL);
}

/** One finished operation, as the request observer reports it. */
export interface OperationSample {
  operation: string;
  type: OperationType;
  /** Wall time; left out for subscriptions (their lifetime is not a latency). */
  seconds?: number;
  /** SQL statements the operation ran, when known. */
  sqlStatements?: number;
  /** `extensions.code` of each error the client got. */
  codes: readonly string[];
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (not prom-client's global one), so several
 * gateways can live in one process (tests) without clashing. Workflow gauges are read from the store on
 * each scrape; everything else is recorded as it happens.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'type'>;
  private readonly duration: Histogram<'operation'>;
  private readonly errors: Counter<'code'>;
  private readonly sqlPerRequest: Histogram;
  private readonly sourceDuration: Histogram<'source' | 'op'>;
  private readonly sourceFailures: Counter<'source'>;
  private readonly subscriptions: Gauge;
  private readonly names = new Set<string>();

  /**
   * `ds` is the store the workflow gauges read on scrape; a function may hand it over later (e.g. when the
   * metrics must exist before the store is opened).
   */
  constructor(opts: { ds?: DataSource | (() => DataSource | undefined); logger?: Logger; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'craton_graphql_requests_total',
      help: 'GraphQL operations handled, by operation name and type (query, mutation, subscription, unknown); counted when they end.',
      labelNames: ['operation', 'type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'craton_graphql_request_duration_seconds',
      help: 'Time to answer a query or mutation, by operation name.',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: 'craton_graphql_errors_total',
      help: 'GraphQL errors sent to clients, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.sqlPerRequest = new Histogram({
      name: 'craton_sql_statements_per_request',
      help: 'SQL statements one GraphQL request ran.',
      buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233],
      registers,
    });
    this.sourceDuration = new Histogram({
      name: 'craton_source_call_duration_seconds',
      help: 'Calls to external sources (list, load, health), successful or not, by source and operation.',
      labelNames: ['source', 'op'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.sourceFailures = new Counter({
      name: 'craton_source_call_failures_total',
      help: 'Failed or timed-out calls to external sources, by source.',
      labelNames: ['source'],
      registers,
    });
    this.subscriptions = new Gauge({
      name: 'craton_active_subscriptions',
      help: 'GraphQL subscriptions currently open over graphql-ws.',
      registers,
    });
    const store = opts.ds;
    const logger = opts.logger;
    const countBy = (table: string, known: readonly string[]) =>
      async function collect(this: Gauge<'status'>) {
        this.reset();
        const ds = typeof store === 'function' ? store() : store;
        if (!ds?.isInitialized) return;
        let rows: Array<{ status: string; n: number | string }>;
        try {
          rows = await ds.query(`SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`);
        } catch (err) {
          // The table may not exist (yet) in this store; the gauge is then simply empty.
          logger?.debug({ err, table }, 'workflow gauge not collected');
          return;
        }
        for (const s of known) this.set({ status: s }, 0);
        for (const row of rows) this.set({ status: String(row.status) }, Number(row.n));
      };
    new Gauge({
      name: 'craton_workflow_runs',
      help: 'Workflow runs in the store, by status (read on scrape).',
      labelNames: ['status'],
      registers,
      collect: countBy('workflow_runs', RUN_STATUSES),
    });
    new Gauge({
      name: 'craton_workflow_targets',
      help: 'Workflow targets (one device of a run) in the store, by status (read on scrape).',
      labelNames: ['status'],
      registers,
      collect: countBy('workflow_targets', TARGET_STATUSES),
    });
  }

  /** The label for an operation name: bounded in length and in the number of distinct values. */
  operationLabel(name: string | null | undefined): string {
    const label = operationName(name);
    if (this.names.has(label)) return label;
    if (this.names.size >= MAX_OPERATION_NAMES) return OTHER_OPERATIONS;
    this.names.add(label);
    return label;
  }

  /** Records one finished operation (HTTP request, or graphql-ws operation). */
  operation(sample: OperationSample): void {
    const operation = this.operationLabel(sample.operation);
    this.requests.inc({ operation, type: sample.type });
    if (sample.seconds !== undefined) this.duration.observe({ operation }, sample.seconds);
    if (sample.sqlStatements !== undefined) this.sqlPerRequest.observe(sample.sqlStatements);
    for (const code of sample.codes) this.errors.inc({ code });
  }

  /** Counts errors sent outside a finished operation (e.g. in a subscription's events). */
  errorCodes(codes: readonly string[]): void {
    for (const code of codes) this.errors.inc({ code });
  }

  /**
   * One call to an external source: how long it took and whether it succeeded. Meant for FederatedSource
   * (src/inventory/federated-source.ts, `timed`), once per real call (cache hits are not calls).
   */
  sourceCall(source: string, op: string, ms: number, ok: boolean): void {
    this.sourceDuration.observe({ source, op }, ms / 1000);
    if (!ok) this.sourceFailures.inc({ source });
  }

  subscriptionStarted(): void {
    this.subscriptions.inc();
  }

  subscriptionEnded(): void {
    this.subscriptions.dec();
  }

  /** The exposition text for GET /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
