// GET /metrics: request counts and latency by operation, errors by code, SQL statements per request,
// active subscriptions, workflow runs/targets by status; request ids echoed and shared with change records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectRow } from '../../src/store/entities.js';
import { WorkflowRunRow, WorkflowTargetRow } from '../../src/store/workflow-entities.js';
import { codeOf, describeResponse, randomKey, startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCloud, uniq } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { subscribe, type Subscription } from '../helpers/ws.js';
import { Scrape } from './prom.js';

async function scrape(t: TestGateway, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${t.url}/metrics`, { headers });
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return Scrape.parse(text);
}

/** Polls /metrics until `check` holds (the graphql-ws side settles asynchronously). */
async function until(t: TestGateway, check: (s: Scrape) => boolean, what: string, timeoutMs = 10_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(t);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const REQUESTS = 'craton_graphql_requests_total';
const DURATION = 'craton_graphql_request_duration_seconds';
const ERRORS = 'craton_graphql_errors_total';
const SQL = 'craton_sql_statements_per_request';
const ACTIVE = 'craton_active_subscriptions';

describeEachStore('metrics', (store) => {
  let t: TestGateway;
  const open: Subscription[] = [];

  beforeAll(async () => {
    // Every operation counted (off by default: counting costs throughput; see the configuration tests).
    t = await startGateway(store, { env: { CRATON_COUNT_SQL: 'true' } });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose().catch(() => undefined)));
    await t?.stop();
  });

  it('serves the Prometheus text format with every Craton metric and the process defaults', async () => {
    const s = await scrape(t);
    for (const name of [ACTIVE, 'craton_workflow_runs', 'craton_workflow_targets', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(s.has(name), name).toBe(true);
    }
    expect(s.value(ACTIVE)).toBe(0);
  });

  it('counts requests and their latency by operation, and SQL statements per request', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 3; i++) await t.ok('query MetricsWhoAmI { me { user { name } } }');
    await t.ok('mutation MetricsMakeCloud($n: String!) { createCloud(input: { name: $n }) { id } }', { n: uniq('m-cloud') });
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta(REQUESTS, { operation: 'MetricsWhoAmI', type: 'query' })).toBe(3);
    expect(delta(REQUESTS, { operation: 'MetricsMakeCloud', type: 'mutation' })).toBe(1);
    expect(delta(`${DURATION}_count`, { operation: 'MetricsWhoAmI' })).toBe(3);
    expect(delta(`${DURATION}_sum`, { operation: 'MetricsWhoAmI' })).toBeGreaterThan(0);
    expect(after.value(`${DURATION}_bucket`, { operation: 'MetricsWhoAmI', le: '+Inf' })).toBe(after.value(`${DURATION}_count`, { operation: 'MetricsWhoAmI' }));
    // Each request ran at least its authentication statement.
    expect(delta(`${SQL}_count`, {})).toBe(4);
    expect(delta(`${SQL}_sum`, {})).toBeGreaterThanOrEqual(4);
    expect(after.value(`${SQL}_bucket`, { le: '+Inf' })).toBe(after.value(`${SQL}_count`));
  });

  it('bounds the operation label: anonymous operations, names cut to 64 characters', async () => {
    const long = `Q${'x'.repeat(99)}`;
    await t.ok('{ me { user { name } } }');
    await t.ok(`query ${long} { me { user { name } } }`);
    const s = await scrape(t);
    expect(s.value(REQUESTS, { operation: 'anonymous', type: 'query' })).toBeGreaterThanOrEqual(1);
    expect(s.value(REQUESTS, { operation: long.slice(0, 64), type: 'query' })).toBe(1);
    expect(s.all(REQUESTS).every((x) => x.labels.operation!.length <= 64)).toBe(true);
  });

  it('counts errors by code, including failed authentication and invalid queries', async () => {
    const before = await scrape(t);
    const unauth = await t.gql('query MetricsBadKey { me { user { name } } }', {}, { key: randomKey() });
    expect(codeOf(unauth), describeResponse(unauth)).toBe('UNAUTHENTICATED');
    const invalid = await t.gql('query MetricsInvalid { noSuchField }');
    expect(codeOf(invalid), describeResponse(invalid)).toBe('GRAPHQL_VALIDATION_FAILED');
    const bad = await t.gql('mutation MetricsBadInput { createCloud(input: { name: "" }) { id } }');
    const badCode = codeOf(bad);
    expect(badCode, describeResponse(bad)).toBeDefined();
    const after = await scrape(t);
    const delta = (code: string) => after.value(ERRORS, { code }) - before.value(ERRORS, { code });
    expect(delta('UNAUTHENTICATED')).toBe(1);
    expect(delta('GRAPHQL_VALIDATION_FAILED')).toBe(1);
    expect(delta(badCode!)).toBeGreaterThanOrEqual(1);
    // Failed requests are requests too.
    expect(after.value(REQUESTS, { operation: 'MetricsInvalid' }) - before.value(REQUESTS, { operation: 'MetricsInvalid' })).toBe(1);
  });

  it('shows open graphql-ws subscriptions in craton_active_subscriptions, and drops them when they end', async () => {
    const before = await scrape(t);
    const sub = subscribe(t.url, 'subscription MetricsLive { inventoryChanged { action objectType } }', {}, { authorization: `Bearer ${t.rootKey}` });
    open.push(sub);
    await until(t, (s) => s.value(ACTIVE) === 1, 'one active subscription');
    await makeCloud(t, uniq('sub-cloud'));
    const event = await sub.next();
    expect(event.data?.inventoryChanged).toEqual({ action: 'CREATE', objectType: 'Cloud' });

    const second = subscribe(t.url, 'subscription { inventoryChanged { action } }', {}, { authorization: `Bearer ${t.rootKey}` });
    open.push(second);
    await until(t, (s) => s.value(ACTIVE) === 2, 'two active subscriptions');

    await sub.dispose();
    await until(t, (s) => s.value(ACTIVE) === 1, 'one subscription left after a client completed');
    await second.dispose();
    const after = await until(t, (s) => s.value(ACTIVE) === 0, 'no active subscriptions');
    expect(after.value(REQUESTS, { operation: 'MetricsLive', type: 'subscription' }) - before.value(REQUESTS, { operation: 'MetricsLive', type: 'subscription' })).toBe(1);
  });

  it('reports workflow runs and targets by status, read from the store on each scrape', async () => {
    const before = await scrape(t);
    for (const status of ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED']) {
      expect(before.all('craton_workflow_runs', { status }), status).toHaveLength(1);
    }
    const ds = t.gateway.dataSource;
    const project = await ds.getRepository(ProjectRow).findOneOrFail({ where: {}, order: { id: 'ASC' } });
    const now = new Date();
    const run = (status: string) => ({
      projectId: project.id, workflow: 'metrics-test', status, params: '{}', targetFilter: '{}', batchSize: 1, maxConcurrency: 1,
      dryRun: true, totalTargets: 2, startedBy: 'test', createdAt: now,
    });
    const runs = await ds.getRepository(WorkflowRunRow).save([run('SUCCEEDED'), run('FAILED'), run('FAILED')]);
    const target = (runId: number, position: number, status: string) => ({
      runId, projectId: project.id, position, deviceId: `Host:${position}`, deviceName: `h${position}`, device: '{}', status, attempts: 1, tasks: '[]',
    });
    await ds.getRepository(WorkflowTargetRow).save([target(runs[0]!.id, 0, 'SUCCEEDED'), target(runs[1]!.id, 0, 'FAILED'), target(runs[1]!.id, 1, 'SKIPPED')]);
    const after = await scrape(t);
    const delta = (name: string, status: string) => after.value(name, { status }) - before.value(name, { status });
    expect(delta('craton_workflow_runs', 'SUCCEEDED')).toBe(1);
    expect(delta('craton_workflow_runs', 'FAILED')).toBe(2);
    expect(delta('craton_workflow_targets', 'SUCCEEDED')).toBe(1);
    expect(delta('craton_workflow_targets', 'FAILED')).toBe(1);
    expect(delta('craton_workflow_targets', 'SKIPPED')).toBe(1);
  });

  it('echoes X-Request-Id and uses the same id in the change records', async () => {
    const id = `req-${uniq('metrics')}`;
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.rootKey}`, 'x-request-id': id },
      body: JSON.stringify({ query: 'mutation($n: String!) { createCloud(input: { name: $n }) { id } }', variables: { n: uniq('rid') } }),
    });
    expect(res.headers.get('x-request-id')).toBe(id);
    const body = (await res.json()) as { data: { createCloud: { id: string } } };
    const cloudId = body.data.createCloud.id;
    const trail = await t.ok('query($id: ID!) { changes(first: 5, objectId: $id) { edges { node { requestId action } } } }', { id: cloudId });
    expect(trail.changes.edges.map((e: any) => e.node.requestId)).toEqual([id]);

    // No (or an unusable) id: the gateway makes one, echoes it, and records that one.
    for (const sent of [undefined, 'has spaces in it']) {
      const r = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.rootKey}`, ...(sent ? { 'x-request-id': sent } : {}) },
        body: JSON.stringify({ query: 'mutation($n: String!) { createCloud(input: { name: $n }) { id } }', variables: { n: uniq('rid') } }),
      });
      const made = r.headers.get('x-request-id');
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
      const cid = ((await r.json()) as any).data.createCloud.id;
      const tr = await t.ok('query($id: ID!) { changes(first: 5, objectId: $id) { edges { node { requestId } } } }', { id: cid });
      expect(tr.changes.edges[0].node.requestId).toBe(made);
    }
    // Other routes echo it too.
    const health = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'health-1' } });
    expect(health.headers.get('x-request-id')).toBe('health-1');
  });
});

describe('metrics configuration', () => {
  it('counts SQL statements only of requests that ask (x-craton-debug-sql: 1) unless CRATON_COUNT_SQL=true', async () => {
    const t = await startGateway('sqlite');
    try {
      expect(t.gateway.config.countSql).toBe(false);
      const before = await scrape(t);
      await t.ok('query Uncounted { me { user { name } } }');
      await t.ok('query Uncounted { me { user { name } } }');
      const counted = await t.sqlCount('query Counted { me { user { name } } }');
      expect(counted.sqlStatements).toBeGreaterThanOrEqual(1);
      const after = await scrape(t);
      expect(after.value(REQUESTS, { operation: 'Uncounted', type: 'query' }) - before.value(REQUESTS, { operation: 'Uncounted', type: 'query' })).toBe(2);
      expect(after.value(`${SQL}_count`) - before.value(`${SQL}_count`)).toBe(1);
      expect(after.value(`${SQL}_sum`) - before.value(`${SQL}_sum`)).toBe(counted.sqlStatements);
    } finally {
      await t.stop();
    }
  });

  it('answers 404 on /metrics when CRATON_METRICS=false', async () => {
    const t = await startGateway('sqlite', { env: { CRATON_METRICS: 'false' } });
    try {
      await t.ok('{ me { user { name } } }');
      const res = await fetch(`${t.url}/metrics`);
      expect(res.status).toBe(404);
      expect(t.gateway.config.metrics).toBe(false);
    } finally {
      await t.stop();
    }
  });

  it('requires the bearer token when CRATON_METRICS_TOKEN is set', async () => {
    const token = randomKey();
    const t = await startGateway('sqlite', { env: { CRATON_METRICS_TOKEN: token } });
    try {
      const none = await fetch(`${t.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${randomKey()}` } })).status).toBe(401);
      // The API key is not the metrics token.
      expect((await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.rootKey}` } })).status).toBe(401);
      const s = await scrape(t, { authorization: `Bearer ${token}` });
      expect(s.has(REQUESTS) || s.has(ACTIVE)).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
