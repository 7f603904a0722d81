// The built-in OpenStack audit through a real gateway configured as operators configure it (a CRATON_CONFIG
// file whose `openstack:` block points at Keystone, the password in an environment variable), against the
// fake Keystone + Nova + Placement knowing 200 compute hosts named like the devices: the findings become
// variables that resolvedVariables, variable search and the change log all show.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { computeFleet, startFakeNova, type FakeNova } from '../fakes/nova.js';
import { makeCloud, makeHosts, makeProjectWithUser, makeRegion, uniq, type Made, type ProjectUser } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';
import { waitFor } from './harness.js';

const HOSTS = 200;
const PASSWORD_ENV = 'CRATON_TEST_OS_PASSWORD';

describeEachStore('audit-capacity through the gateway', (store) => {
  let fake: FakeNova;
  let t: TestGateway;
  let operator: TestGateway;
  let op: ProjectUser;
  let dir: string;
  let hosts: Made[];
  const prefix = uniq('hv');
  const names = Array.from({ length: HOSTS }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    // Host i runs i % 4 m1.small servers (1 vCPU, 2 GiB, 20 GB) on 32 vCPU, 128 GiB (512 MiB reserved), 2000 GB.
    fake = await startFakeNova({ ...computeFleet(names), password: 'fleet-secret' });
    process.env[PASSWORD_ENV] = 'fleet-secret';
    dir = await mkdtemp(join(tmpdir(), 'craton-os-'));
    const config = join(dir, 'craton.yaml');
    await writeFile(config, [
      'openstack:',
      `  authUrl: ${fake.authUrl}`,
      '  username: admin',
      `  passwordEnv: ${PASSWORD_ENV}`,
      '  projectName: admin',
      '  region: RegionOne',
      '  interface: public',
      '',
    ].join('\n'));
    t = await startGateway(store, { env: { CRATON_CONFIG: config } });
    op = await makeProjectWithUser(t, 'OPERATOR');
    operator = t.as({ key: op.key });
    const cloud = await makeCloud(operator, uniq('cloud'));
    const region = await makeRegion(operator, { cloudId: cloud.id, name: uniq('region') });
    hosts = await makeHosts(operator, names.map((name) => ({ regionId: region.id, name })), {}, 50);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('audits 200 compute hosts and writes capacity variables that resolvedVariables, variable search and changes show', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const started = await operator.ok(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id status } }`, {
      i: { workflow: 'audit-capacity', target: { nameContains: prefix }, batchSize: 50, maxConcurrency: 20 },
    });
    const runId = started.startWorkflow.id as string;
    const run = await waitFor(async () => {
      const r = (await operator.ok(`query($id: ID!) { workflowRun(id: $id) { status progress { total succeeded failed } } }`, { id: runId })).workflowRun;
      return ['SUCCEEDED', 'PARTIAL', 'FAILED'].includes(r.status) ? r : null;
    }, 'the audit to finish', 60_000);
    if (run.status !== 'SUCCEEDED') {
      const failed = await operator.ok(`query($id: ID!) { workflowRun(id: $id) { targets(first: 3, status: [FAILED]) { edges { node { deviceName lastError } } } } }`, { id: runId });
      throw new Error(`audit ended ${run.status}: ${JSON.stringify(failed.workflowRun.targets.edges)}`);
    }
    expect(run.progress).toEqual({ total: HOSTS, succeeded: HOSTS, failed: 0 });

    // Every host's resolved variables hold what Nova says about it.
    const data = await operator.ok(`{ hosts(first: 1000, filter: { nameContains: "${prefix}" }) { edges { node { id name resolvedVariables(keys: ["capacity"]) } } } }`);
    expect(data.hosts.edges).toHaveLength(HOSTS);
    for (const { node } of data.hosts.edges) {
      const k = names.indexOf(node.name) % 4;
      expect(node.resolvedVariables.capacity, node.name).toEqual({
        host: node.name, state: 'up', service_status: 'enabled', source: 'nova',
        vcpus: 32, vcpus_used: k, vcpus_available: 32 - k,
        memory_mb: 131072, memory_mb_used: 2048 * k + 512, memory_mb_available: 131072 - 2048 * k - 512,
        disk_gb: 2000, disk_gb_used: 20 * k, disk_gb_available: 2000 - 20 * k,
        running_vms: k,
      });
    }

    // capacity.<field> is a searchable path.
    const busy = await operator.ok(`{ hosts(first: 1000, filter: { nameContains: "${prefix}", vars: "capacity.running_vms:3" }) { edges { node { name } } } }`);
    expect(busy.hosts.edges.map((e: { node: { name: string } }) => e.node.name).sort()).toEqual(names.filter((_, i) => i % 4 === 3));
    const roomy = await operator.ok(`{ hosts(first: 1000, filter: { nameContains: "${prefix}", vars: "capacity.memory_mb_available:130560" }) { edges { node { name } } } }`);
    expect(roomy.hosts.edges).toHaveLength(HOSTS / 4);

    // One change per host, made by the run.
    const changes: Array<{ actor: string; objectId: string; after: { variables: Record<string, unknown> } }> = [];
    for (let after: string | null = null; ;) {
      const page: any = await operator.ok(`query($after: String, $since: DateTime) { changes(first: 1000, after: $after, since: $since) { edges { node { actor objectType objectId after } } pageInfo { hasNextPage endCursor } } }`, { after, since: before });
      changes.push(...page.changes.edges.map((e: { node: never }) => e.node));
      if (!page.changes.pageInfo.hasNextPage) break;
      after = page.changes.pageInfo.endCursor;
    }
    const byRun = changes.filter((c) => c.actor === `workflow:${runId}`);
    expect(byRun).toHaveLength(HOSTS);
    expect(new Set(byRun.map((c) => c.objectId))).toEqual(new Set(hosts.map((h) => h.id)));
    for (const c of byRun) expect(Object.keys(c.after.variables).sort()).toEqual(['capacity', 'capacity_details']);

    // Through Keystone once, then Nova and Placement: the fake saw one password authentication.
    expect(fake.requests.filter((r) => r.service === 'identity' && r.method === 'POST')).toHaveLength(1);
    expect(fake.mutatingRequests()).toEqual([]);
  });
});
