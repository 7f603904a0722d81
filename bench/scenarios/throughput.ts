import { createServer, type Server } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import autocannon from 'autocannon';
import express from 'express';
import { loadTypeDefs } from '../../src/server.js';
import { gql, type Endpoint } from '../lib/client.js';
import { fmtRate } from '../lib/stats.js';
import type { RawDb } from '../lib/store.js';
import { sizeLabel, type Row, type ScenarioContext } from './context.js';

// Scenario 3: dashboard throughput. 50 concurrent clients (autocannon, in a worker thread so the load does
// not share the server's event loop) run hosts(first: 50) with labels and region name for 20 s (5 s with
// --quick). Baseline: an Apollo Server with the same schema (the SDL of schema/), the same express
// integration and the same query, resolving the same 50 hosts from memory (no store, no auth).

export const DASHBOARD_QUERY = '{ hosts(first: 50) { edges { node { name labels region { name } } } } }';

type Dash = { hosts: { edges: Array<{ node: { name: string; labels: string[]; region: { name: string } } }> } };

/** The 50 hosts of the dashboard, read once from the store. */
async function loadMemory(raw: RawDb, projectId: number): Promise<Dash['hosts']['edges']> {
  const hosts = await raw.query<{ id: number; name: string; region: string }>(
    "SELECT d.id, d.name, r.name AS region FROM devices d JOIN regions r ON r.id = d.region_id WHERE d.project_id = ? AND d.kind = 'host' ORDER BY d.id LIMIT 50",
    [projectId],
  );
  const labels = await raw.query<{ device_id: number; label: string }>(
    `SELECT device_id, label FROM labels WHERE device_id IN (${hosts.map(() => '?').join(', ')}) ORDER BY label`, hosts.map((h) => h.id),
  );
  return hosts.map((h) => ({ node: { name: h.name, labels: labels.filter((l) => l.device_id === h.id).map((l) => l.label), region: { name: h.region } } }));
}

/** The in-memory Apollo server: same SDL, same express integration, resolvers over an array. */
async function startMemoryServer(edges: Dash['hosts']['edges']): Promise<{ ep: Endpoint; stop: () => Promise<void> }> {
  const nodes = edges.map((e) => ({ __typename: 'Host', ...e.node }));
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: {
      Query: {
        hosts: (_: unknown, args: { first?: number }) => ({
          edges: nodes.slice(0, args.first ?? 100).map((node) => ({ node, cursor: node.name })),
          pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
          totalCount: nodes.length,
        }),
      },
    },
    resolverValidationOptions: { requireResolversForResolveType: 'ignore' },
  });
  const apollo = new ApolloServer({ schema });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json({ limit: 1024 * 1024 }), expressMiddleware(apollo, { context: async () => ({}) }));
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  return {
    ep: { url: `http://127.0.0.1:${addr.port}` },
    stop: async () => {
      await apollo.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function load(ep: Endpoint, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${ep.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(ep.key ? { authorization: `Bearer ${ep.key}` } : {}) },
    body: JSON.stringify({ query: DASHBOARD_QUERY }),
    connections: 50,
    duration: seconds,
    workers: 1,
  });
}

export async function throughput(ctx: ScenarioContext): Promise<Row[]> {
  const seconds = ctx.quick ? 5 : 20;
  const edges = await loadMemory(ctx.raw, ctx.projectId);
  const mem = await startMemoryServer(edges);
  try {
    const ours = await gql<Dash>(ctx.ep, DASHBOARD_QUERY, {}, true);
    const base = await gql<Dash>(mem.ep, DASHBOARD_QUERY);
    const same = isDeepStrictEqual(ours.data, base.data);
    if (!same) ctx.log('WARNING: the in-memory server does not return the same answer as the gateway');
    // Alternating rounds (gateway, memory, gateway, …) so that load from elsewhere on the machine hits both alike.
    const rounds = ctx.quick ? 2 : 4;
    const slice = Math.max(1, Math.round(seconds / rounds));
    ctx.log(`  autocannon: 50 connections, ${rounds} rounds × ${slice} s each against the gateway and the in-memory server`);
    const os: autocannon.Result[] = [];
    const bs: autocannon.Result[] = [];
    for (let r = 0; r < rounds; r++) {
      os.push(await load(ctx.ep, slice));
      bs.push(await load(mem.ep, slice));
    }
    const sum = (rs: autocannon.Result[], f: (r: autocannon.Result) => number) => rs.reduce((a, r) => a + f(r), 0);
    const mid = (rs: autocannon.Result[], f: (r: autocannon.Result) => number) => rs.map(f).sort((x, y) => x - y)[Math.floor(rs.length / 2)]!;
    const merge = (rs: autocannon.Result[]) => ({
      requests: { average: sum(rs, (r) => r.requests.total) / sum(rs, (r) => r.duration), total: sum(rs, (r) => r.requests.total) },
      latency: { p50: mid(rs, (r) => r.latency.p50), p99: mid(rs, (r) => r.latency.p99) },
      errors: sum(rs, (r) => r.errors), non2xx: sum(rs, (r) => r.non2xx), timeouts: sum(rs, (r) => r.timeouts),
    });
    const o = merge(os);
    const b = merge(bs);
    const oursRps = o.requests.average;
    const baseRps = b.requests.average;
    const failures = o.errors + o.non2xx + o.timeouts;
    const ratio = oursRps / baseRps;
    return [{
      scenario: '3 dashboard hosts(first:50) ×50 clients', store: ctx.storeName, size: sizeLabel(ctx.hosts),
      ours: `${fmtRate(oursRps, 'req/s')} p99 ${o.latency.p99} ms`, oursValue: oursRps,
      baseline: `${fmtRate(baseRps, 'req/s')} p99 ${b.latency.p99} ms`, baselineValue: baseRps, unit: 'req/s',
      ratio, sql: String(ours.sqlStatements), target: '≥ 0.60×', pass: ratio >= 0.6 && failures === 0,
      notes: `${rounds} alternating rounds of ${slice} s each (p99: median of rounds); ${o.requests.total} requests${failures ? `, ${failures} FAILED (errors ${o.errors}, non-2xx ${o.non2xx}, timeouts ${o.timeouts})` : ''}${same ? '' : '; BASELINE ANSWER DIFFERS'}`,
      details: {
        seconds, connections: 50,
        ours: { rps: oursRps, p50: o.latency.p50, p99: o.latency.p99, total: o.requests.total, errors: o.errors, non2xx: o.non2xx, timeouts: o.timeouts },
        baseline: { rps: baseRps, p50: b.latency.p50, p99: b.latency.p99, total: b.requests.total, errors: b.errors, non2xx: b.non2xx },
        sameAnswer: same,
      },
    }];
  } finally {
    await mem.stop();
  }
}
