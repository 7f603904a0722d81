// The workflow API through the real schema and resolvers (executed in-process, without HTTP), as operators
// and dashboards use it: definitions, starting and reading runs, progress at bounded SQL, event subscriptions.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse, subscribe, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolvers } from '../../resolvers/index.js';
import { workflowResolvers } from '../../resolvers/workflows.js';
import type { Context } from '../../src/context.js';
import type { CratonError } from '../../src/errors.js';
import { loadTypeDefs } from '../../src/server.js';
import { countStatements } from '../../src/store/sql-counter.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import { describeEachStore } from '../helpers/stores.js';
import { openTestStore, startService, waitFor, type TestStore } from './harness.js';

describeEachStore('the workflow API', (kind) => {
  let store: TestStore;
  let service: WorkflowService;
  let schema: GraphQLSchema;
  let ctx: Context;
  beforeAll(async () => {
    store = await openTestStore(kind);
    await store.hosts(4, 'api');
    service = await startService(store);
    schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: [...resolvers, workflowResolvers] as never });
    ctx = contextFor(store.projectId);
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
  });

  function contextFor(projectId: number): Context {
    const scope = store.scope(projectId);
    return {
      app: { ds: store.ds, pubsub: store.pubsub, catalog: store.catalog, workflows: service, config: { maxVariableBytes: 65536 } },
      scope, principal: scope.principal, requestId: 'test', sql: { statements: 0 },
    } as unknown as Context;
  }

  async function run(query: string, variables?: Record<string, unknown>, context = ctx): Promise<ExecutionResult & { statements: number }> {
    const tally = { statements: 0 };
    const result = (await countStatements(tally, () => execute({ schema, document: parse(query), variableValues: variables, contextValue: { ...context } }))) as ExecutionResult;
    return { ...result, statements: tally.statements };
  }
  const codeOf = (r: ExecutionResult) => (r.errors?.[0]?.extensions?.code as string | undefined) ?? (r.errors?.[0]?.originalError as CratonError | undefined)?.code;

  it('lists the workflows with their kind, parameters and tasks', async () => {
    const r = await run('{ workflows { name kind description parameters tasks resumable } }');
    expect(r.errors).toBeUndefined();
    expect((r.data!.workflows as Array<{ name: string }>).map((w) => w.name)).toEqual(['echo-facts', 'noop', 'run-command', 'test-remediation']);
    expect((r.data!.workflows as unknown[])[3]).toMatchObject({ kind: 'REMEDIATION', tasks: ['mark', 'apply', 'verify'], resumable: true, parameters: { failAt: { type: 'string' } } });
  });

  it('starts a run and shows its progress, targets and events', async () => {
    const started = await run(
      'mutation($input: StartWorkflowInput!) { startWorkflow(input: $input) { id workflow status dryRun params batchSize maxConcurrency startedBy } }',
      { input: { workflow: 'echo-facts', target: { nameContains: 'api-' }, batchSize: 2 } },
    );
    expect(started.errors).toBeUndefined();
    const runData = started.data!.startWorkflow as { id: string; status: string };
    expect(runData).toMatchObject({ workflow: 'echo-facts', status: 'PENDING', dryRun: false, params: {}, batchSize: 2, maxConcurrency: 10, startedBy: `op-${store.projectId}` });
    const query = `query($id: ID!) { workflowRun(id: $id) {
      status progress { total pending running succeeded failed manual skipped reverted }
      targets(first: 2) { totalCount edges { node { status deviceName device { name } tasks } } pageInfo { hasNextPage } }
      events(afterSequence: 0, first: 3) { sequence type runId }
    } }`;
    await waitFor(async () => ((await run(query, { id: runData.id })).data?.workflowRun as { status: string }).status === 'SUCCEEDED', 'the run to succeed');
    const r = await run(query, { id: runData.id });
    const wr = r.data!.workflowRun as Record<string, any>;
    expect(wr.progress).toEqual({ total: 4, pending: 0, running: 0, succeeded: 4, failed: 0, manual: 0, skipped: 0, reverted: 0 });
    expect(wr.targets.totalCount).toBe(4);
    expect(wr.targets.pageInfo.hasNextPage).toBe(true);
    expect(wr.targets.edges[0].node).toMatchObject({ status: 'SUCCEEDED', device: { name: wr.targets.edges[0].node.deviceName } });
    expect(wr.events).toEqual([
      { sequence: 1, type: 'RUN_STARTED', runId: runData.id },
      { sequence: 2, type: 'BATCH_STARTED', runId: runData.id },
      { sequence: 3, type: 'TASK_STARTED', runId: runData.id },
    ]);
    const node = await run('query($id: ID!) { node(id: $id) { id } }', { id: runData.id });
    expect(node.errors).toBeUndefined();
  });

  it('reads the progress of a page of runs with the same number of statements for 2 runs as for 8', async () => {
    for (let i = 0; i < 8; i++) await service.startRun(store.scope(), { workflow: 'noop', target: { nameContains: 'api-' } });
    await waitFor(async () => (await service.listRuns(store.scope(), { status: ['PENDING', 'RUNNING'] })).edges.length === 0, 'runs to finish');
    const q = 'query($n: Int) { workflowRuns(first: $n, workflow: "noop") { edges { node { id status progress { total succeeded } } } } }';
    const two = await run(q, { n: 2 });
    const eight = await run(q, { n: 8 });
    expect((eight.data!.workflowRuns as { edges: unknown[] }).edges).toHaveLength(8);
    expect(eight.statements).toBe(two.statements);
    expect(eight.statements).toBeLessThanOrEqual(2);
  });

  it('streams the events of a run over a subscription until its last event', async () => {
    const started = await run('mutation { startWorkflow(input: { workflow: "noop", target: { nameContains: "api-" } }) { id } }');
    const id = (started.data!.startWorkflow as { id: string }).id;
    const stream = (await subscribe({ schema, document: parse('subscription($id: ID!) { workflowRunEvents(runId: $id, afterSequence: 0) { sequence type device { name } } }'), variableValues: { id }, contextValue: ctx })) as AsyncIterable<ExecutionResult>;
    const got: Array<{ sequence: number; type: string }> = [];
    for await (const r of stream) got.push(r.data!.workflowRunEvents as { sequence: number; type: string });
    expect(got.map((e) => e.sequence)).toEqual(got.map((_, i) => i + 1));
    expect(got.at(-1)!.type).toBe('RUN_FINISHED');
  });

  it("answers another project's run with null, NOT_FOUND on cancel and on subscribe, and unknown workflows with BAD_USER_INPUT", async () => {
    const mine = await service.startRun(store.scope(), { workflow: 'noop', target: { nameContains: 'api-' } });
    const id = (await run('{ workflowRuns(first: 1) { edges { node { id } } } }')).data!.workflowRuns as { edges: Array<{ node: { id: string } }> };
    expect(id.edges[0]!.node.id).toBeDefined();
    const other = contextFor(await store.otherProject());
    const gid = (await import('../../src/ids.js')).toGlobalId('WorkflowRun', mine.id);
    expect((await run('query($id: ID!) { workflowRun(id: $id) { id } }', { id: gid }, other)).data!.workflowRun).toBeNull();
    expect(codeOf(await run('mutation($id: ID!) { cancelWorkflowRun(id: $id) { id } }', { id: gid }, other))).toBe('NOT_FOUND');
    const sub = (await subscribe({ schema, document: parse('subscription($id: ID!) { workflowRunEvents(runId: $id) { sequence } }'), variableValues: { id: gid }, contextValue: other })) as ExecutionResult;
    expect(codeOf(sub)).toBe('NOT_FOUND');
    const bad = await run('mutation { startWorkflow(input: { workflow: "nope" }) { id } }');
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.message).toContain('known workflows: echo-facts, noop, run-command, test-remediation');
    const cron = await run('mutation { createWorkflowSchedule(input: { workflow: "noop", cron: "61 * * * *" }) { id } }');
    expect(codeOf(cron)).toBe('BAD_USER_INPUT');
  });

  it('creates, lists and deletes schedules', async () => {
    const made = await run('mutation { createWorkflowSchedule(input: { workflow: "noop", cron: "0 4 * * *", timezone: "Asia/Tokyo", params: {} }) { id cron timezone overlap enabled target lastRun { id } } }');
    expect(made.errors).toBeUndefined();
    const s = made.data!.createWorkflowSchedule as { id: string };
    expect(s).toMatchObject({ cron: '0 4 * * *', timezone: 'Asia/Tokyo', overlap: 'SKIP', enabled: true, target: {}, lastRun: null });
    const listed = await run('{ workflowSchedules { totalCount edges { node { id } } } }');
    expect((listed.data!.workflowSchedules as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id)).toContain(s.id);
    const del = await run('mutation($id: ID!) { deleteWorkflowSchedule(id: $id) }', { id: s.id });
    expect(del.data!.deleteWorkflowSchedule).toBe(s.id);
  });
});
