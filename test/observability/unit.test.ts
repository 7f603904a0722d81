// GatewayMetrics on its own: source calls, label bounds, workflow gauges without their tables, config.
import { describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../../src/config.js';
import { GatewayMetrics, operationName } from '../../src/observability/index.js';
import { MAX_OPERATION_NAMES, OTHER_OPERATIONS } from '../../src/observability/metrics.js';
import { Scrape } from './prom.js';

const scrape = async (m: GatewayMetrics) => Scrape.parse(await m.render());

describe('GatewayMetrics', () => {
  it('records source call latency by source and operation, and failures by source', async () => {
    const m = new GatewayMetrics({ defaultMetrics: false });
    m.sourceCall('nova', 'list', 120, true);
    m.sourceCall('nova', 'list', 30, true);
    m.sourceCall('nova', 'load', 5000, false);
    m.sourceCall('oneops', 'health', 10, false);
    const s = await scrape(m);
    expect(s.value('craton_source_call_duration_seconds_count', { source: 'nova', op: 'list' })).toBe(2);
    expect(s.value('craton_source_call_duration_seconds_sum', { source: 'nova', op: 'list' })).toBeCloseTo(0.15);
    expect(s.value('craton_source_call_duration_seconds_count', { source: 'nova', op: 'load' })).toBe(1);
    expect(s.value('craton_source_call_failures_total', { source: 'nova' })).toBe(1);
    expect(s.value('craton_source_call_failures_total', { source: 'oneops' })).toBe(1);
  });

  it('keeps registries apart: two gateways in one process do not share counts', async () => {
    const a = new GatewayMetrics();
    const b = new GatewayMetrics();
    a.operation({ operation: 'A', type: 'query', seconds: 0.01, sqlStatements: 2, codes: ['NOT_FOUND'] });
    expect((await scrape(a)).value('craton_graphql_requests_total', { operation: 'A' })).toBe(1);
    expect((await scrape(b)).value('craton_graphql_requests_total', { operation: 'A' })).toBe(0);
    expect((await scrape(a)).value('craton_graphql_errors_total', { code: 'NOT_FOUND' })).toBe(1);
  });

  it('bounds operation labels in length and number', async () => {
    expect(operationName(undefined)).toBe('anonymous');
    expect(operationName('')).toBe('anonymous');
    expect(operationName('not a name; DROP')).toBe('anonymous');
    expect(operationName('x'.repeat(200))).toHaveLength(64);
    const m = new GatewayMetrics({ defaultMetrics: false });
    for (let i = 0; i < MAX_OPERATION_NAMES + 50; i++) m.operation({ operation: `Op${i}`, type: 'query', codes: [] });
    const s = await scrape(m);
    const labels = new Set(s.all('craton_graphql_requests_total').map((x) => x.labels.operation));
    expect(labels.size).toBe(MAX_OPERATION_NAMES + 1);
    expect(s.value('craton_graphql_requests_total', { operation: OTHER_OPERATIONS })).toBe(50);
    // Names seen before the cap keep their own series.
    m.operation({ operation: 'Op0', type: 'query', codes: [] });
    expect((await scrape(m)).value('craton_graphql_requests_total', { operation: 'Op0' })).toBe(2);
  });

  it('tolerates a store without the workflow tables (the gauges stay empty, the scrape succeeds)', async () => {
    const ds = { isInitialized: true, query: async () => { throw new Error('no such table: workflow_runs'); } } as unknown as DataSource;
    const m = new GatewayMetrics({ ds, defaultMetrics: false });
    const s = await scrape(m);
    expect(s.all('craton_workflow_runs')).toEqual([]);
    expect(s.all('craton_workflow_targets')).toEqual([]);
    expect(s.value('craton_active_subscriptions')).toBe(0);
  });

  it('reads workflow counts with one GROUP BY per table; unknown statuses are kept, known ones default to 0', async () => {
    const queries: string[] = [];
    const ds = {
      isInitialized: true,
      query: async (sql: string) => {
        queries.push(sql);
        return sql.includes('workflow_runs') ? [{ status: 'RUNNING', n: '3' }, { status: 'WEIRD', n: 1 }] : [{ status: 'FAILED', n: 7 }];
      },
    } as unknown as DataSource;
    const s = await scrape(new GatewayMetrics({ ds, defaultMetrics: false }));
    expect(queries).toHaveLength(2);
    expect(s.value('craton_workflow_runs', { status: 'RUNNING' })).toBe(3);
    expect(s.value('craton_workflow_runs', { status: 'WEIRD' })).toBe(1);
    expect(s.value('craton_workflow_runs', { status: 'SUCCEEDED' })).toBe(0);
    expect(s.value('craton_workflow_targets', { status: 'FAILED' })).toBe(7);
    expect(s.value('craton_workflow_targets', { status: 'MANUAL' })).toBe(0);
  });
});

describe('observability configuration', () => {
  it('defaults: metrics and GraphiQL on, no metrics token', () => {
    const c = loadConfig({});
    expect(c.metrics).toBe(true);
    expect(c.graphiql).toBe(true);
    expect(c.metricsToken).toBeUndefined();
    expect(c.logLevel).toBe('info');
  });

  it('reads CRATON_METRICS, CRATON_METRICS_TOKEN, CRATON_GRAPHIQL', () => {
    const c = loadConfig({ CRATON_METRICS: 'off', CRATON_METRICS_TOKEN: 'a-long-enough-token', CRATON_GRAPHIQL: '0' });
    expect(c.metrics).toBe(false);
    expect(c.metricsToken).toBe('a-long-enough-token');
    expect(c.graphiql).toBe(false);
  });

  it('rejects bad values, naming the variable', () => {
    expect(() => loadConfig({ CRATON_METRICS: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ CRATON_METRICS: 'maybe' })).toThrow(/CRATON_METRICS/);
    expect(() => loadConfig({ CRATON_METRICS_TOKEN: 'short' })).toThrow(/CRATON_METRICS_TOKEN/);
    expect(() => loadConfig({ CRATON_GRAPHIQL: 'yes please' })).toThrow(/CRATON_GRAPHIQL/);
  });
});
