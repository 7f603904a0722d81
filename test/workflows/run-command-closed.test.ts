// run-command is closed by default: a gateway whose config names no workflows.commands runs no command.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCloud, makeHost, makeRegion, uniq } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { waitFor } from './harness.js';

describeEachStore('run-command without an allowlist', (store) => {
  let t: TestGateway;
  const prefix = uniq('closed');

  beforeAll(async () => {
    t = await startGateway(store);
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region') });
    await makeHost(t, { regionId: region.id, name: `${prefix}-1` });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses every command, even the gateway\'s own node, and says how to allow one', async () => {
    const { startWorkflow } = await t.ok(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`, {
      i: { workflow: 'run-command', target: { nameContains: prefix }, params: { command: process.execPath, args: ['-e', 'process.exit(0)'] } },
    });
    const status = async () => (await t.ok(`query($id: ID!) { workflowRun(id: $id) { status } }`, { id: startWorkflow.id })).workflowRun.status as string;
    await waitFor(async () => ['SUCCEEDED', 'FAILED', 'PARTIAL'].includes(await status()), 'the run');
    const run = (await t.ok(`query($id: ID!) { workflowRun(id: $id) { status targets { edges { node { status lastError } } } } }`, { id: startWorkflow.id })).workflowRun;
    expect(run.status).toBe('FAILED');
    const error = run.targets.edges[0].node.lastError;
    expect(error.type).toBe('CommandNotAllowed');
    expect(error.message).toContain('workflows.commands');
  });
});
