// `craton workflow start NAME --follow`: starts a run, tails workflowRunEvents over graphql-ws, and exits 0 only
// when the run SUCCEEDED. The gateway does not wire the workflow engine yet, so these tests serve the real SDL,
// the real resolvers and the real engine (test/workflows/harness.ts) over HTTP and graphql-ws themselves; the
// last test runs against the real gateway once it serves workflows (skipped until then).
import { createServer, type Server } from 'node:http';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { resolvers } from '../../resolvers/index.js';
import { workflowResolvers } from '../../resolvers/workflows.js';
import type { Context } from '../../src/context.js';
import { formatError } from '../../src/errors.js';
import { loadTypeDefs } from '../../src/server.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import { startGateway } from '../helpers/gateway.js';
import { describeEachStore, stores } from '../helpers/stores.js';
import { openTestStore, startService, type TestStore } from '../workflows/harness.js';
import { craton } from './io.js';

describeEachStore('craton workflow start --follow', (kind) => {
  let store: TestStore;
  let service: WorkflowService;
  let server: Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(kind);
    await store.hosts(5, 'wf');
    service = await startService(store);
    const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: [...resolvers, workflowResolvers] as never });
    const context = (): Context => {
      const scope = store.scope();
      return {
        app: { ds: store.ds, pubsub: store.pubsub, catalog: store.catalog, workflows: service, config: { maxVariableBytes: 65536 } },
        scope, principal: scope.principal, requestId: 'cli-test', sql: { statements: 0 },
      } as unknown as Context;
    };
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', async () => {
        const { query, variables } = JSON.parse(body);
        const result = await execute({ schema, document: parse(query), variableValues: variables, contextValue: context() });
        const errors = result.errors?.map((e) => formatError(e.toJSON(), e, () => undefined));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...result, errors }));
      });
    });
    useServer({ schema, context }, new WebSocketServer({ server, path: '/graphql' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = { CRATON_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, CRATON_API_KEY: 'unused-by-this-server' };
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await service?.stop();
    await store?.close();
  });

  it('follows a run to SUCCEEDED and exits 0, printing its events and a summary', async () => {
    const r = await craton(['workflow', 'start', 'echo-facts', '--batch-size', '2', '--follow'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^started echo-facts run \S+ on 5 targets\n/);
    expect(r.stderr).toContain(' RUN_STARTED');
    expect(r.stderr.match(/ TARGET_SUCCEEDED wf-\d/g)).toHaveLength(5);
    expect(r.stderr).toMatch(/ RUN_FINISHED - SUCCEEDED\n$/);
    expect(r.stdout).toMatch(/^run \S+ SUCCEEDED: 5 succeeded, 0 failed, 0 manual, 0 skipped of 5\n$/);
    const vars = await store.ds.query("SELECT COUNT(*) AS n FROM `variables` WHERE `key` = 'audit.name_length'");
    expect(Number(vars[0].n)).toBe(5);
  });

  it('exits 1 when the run did not succeed, and passes parameters auto-typed', async () => {
    const r = await craton(['--json', 'workflow', 'start', 'test-remediation', '--param', 'failAt=apply', '--max-concurrency', '2', '--follow'], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const final = lines[lines.length - 1];
    expect(final).toMatchObject({ workflow: 'test-remediation', status: 'FAILED', maxConcurrency: 2, progress: { total: 5, failed: 5 } });
    expect(lines.filter((e) => e.type === 'TARGET_FAILED')).toHaveLength(5);
    expect(lines.map((e) => e.sequence).filter(Boolean)).toEqual(lines.slice(0, -1).map((_, i) => i + 1));
  });

  it('without --follow prints the started run; a bad parameter is the API error, exit 1', async () => {
    const r = await craton(['workflow', 'start', 'noop', '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| workflow +\| noop +\|/);
    expect(r.stdout).toMatch(/\| dry_run +\| true +\|/);
    const bad = await craton(['workflow', 'start', 'no-such-workflow'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^craton: BAD_USER_INPUT: /);
  });
});

// Against the real gateway, once src/server.ts wires the workflow engine (ctx.app.workflows).
let gatewayHasWorkflows = false;
beforeAll(async () => {
  const t = await startGateway('sqlite');
  try {
    const res = await t.gql('{ workflows { name } }');
    gatewayHasWorkflows = !res.body.errors?.length;
  } finally {
    await t.stop();
  }
});

it.skipIf(!stores.includes('sqlite'))('against the real gateway: workflow start noop --follow exits 0 (skipped until the gateway serves workflows)', async (ctx) => {
  if (!gatewayHasWorkflows) ctx.skip();
  const t = await startGateway('sqlite');
  try {
    const env = { CRATON_URL: t.url, CRATON_API_KEY: t.rootKey, CRATON_DATABASE_URL: t.databaseUrl, CRATON_LOG_LEVEL: 'silent' };
    await craton(['import', '-', '--format', 'json'], env, '[{"kind":"cloud","name":"c"},{"kind":"region","cloud":"c","name":"r"},{"kind":"host","cloud":"c","region":"r","name":"h1","labels":["x"]}]');
    const r = await craton(['workflow', 'start', 'noop', '--target-label', 'x', '--follow'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED: 1 succeeded/);
  } finally {
    await t.stop();
  }
});
