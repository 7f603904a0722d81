// A page of federated hosts costs one batched call per source and a constant number of SQL statements,
// however many hosts it holds; and a dead source is left alone by the circuit breaker, then probed again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalSource, HostRecord } from '../../sources/source.js';
import { FederatedSource } from '../../src/inventory/federated-source.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';
import { manyComputes } from '../fakes/oneops/seed.js';
import { makePlaces, sourcesFile, type SourcesFile } from './helpers.js';

const NS = '/acme/big/prod/bom/web/1';
const HOSTS = 1200;
const PAGE = `query($first: Int, $filter: DeviceFilter) { hosts(first: $first, filter: $filter) {
  edges { node { id name labels region { name } cell { name } resolvedVariables variableOrigins { key source } } } } }`;

describeEachStore('the cost of federated pages', (store) => {
  let t: TestGateway;
  let fake: FakeOneOps;
  let file: SourcesFile;

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: manyComputes(HOSTS, NS) });
    file = sourcesFile();
    file.write([{
      name: 'oneops-big', kind: 'oneops', project: 'default', cacheTtlMs: 0,
      connection: { url: fake.url, nsPath: '/acme/big', snapshotTtlMs: 0 },
      placement: { cloud: 'big', region: 'prod' },
    }]);
    t = await startGateway(store, { env: { CRATON_CONFIG: file.path } });
    await makePlaces(t, { big: { prod: [] } }, { big: { owner: 'ops' }, prod: { ntp: ['10.0.0.1'] } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
    file?.remove();
  });

  /** Requests the fake saw and SQL statements the gateway ran for one page of `first` federated hosts. */
  async function costOf(first: number, filter?: object) {
    fake.resetRequests();
    const { data, sqlStatements } = await t.sqlCount(PAGE, { first, filter: { sources: ['oneops-big'], ...filter } });
    return { hosts: data.hosts.edges.length, calls: fake.requests.length, sqlStatements };
  }

  it('a page of 500 federated hosts costs one listing call, as a page of 10 does', async () => {
    const small = await costOf(10);
    const large = await costOf(500);
    expect(small.hosts).toBe(10);
    expect(large.hosts).toBe(500);
    expect(large.calls, 'source calls for 500 hosts').toBe(small.calls);
    expect(large.calls).toBe(1);
  });

  it('SQL statements for a page of 500 federated hosts with resolved variables equal those of a page of 10', async () => {
    const small = await costOf(10);
    const large = await costOf(500);
    expect(large.sqlStatements).toBe(small.sqlStatements);
    expect(large.sqlStatements).toBeLessThanOrEqual(12);
  });

  it('a filter the source cannot apply scans in calls of 1000 hosts, never a call per host', async () => {
    const res = await costOf(500, { labels: ['no-such-label'] });
    expect(res.hosts).toBe(0);
    expect(res.calls, `${HOSTS} hosts scanned`).toBe(Math.ceil(HOSTS / 1000));
  });
});

/** A source whose answers the test controls, counting every call. */
function scriptedSource() {
  const state = { calls: 0, fail: true };
  const host: HostRecord = { key: 'k1', name: 'h1', ipAddress: null, deviceType: 'server', active: true, labels: [], attributes: {}, placement: {} };
  const source: ExternalSource = {
    name: 'flaky',
    kind: 'test',
    capabilities: { filters: [], readOnly: true },
    async list() {
      state.calls += 1;
      if (state.fail) throw new Error('connection refused');
      return { hosts: [host], nextCursor: null };
    },
    async load(keys) {
      state.calls += 1;
      if (state.fail) throw new Error('connection refused');
      return keys.map(() => host);
    },
    async health() {
      state.calls += 1;
      return state.fail ? { status: 'DOWN', lastError: 'connection refused', latencyMs: null } : { status: 'UP', lastError: null, latencyMs: 1 };
    },
  };
  return { source, state };
}

describe('the circuit breaker of a source', () => {
  const block = {
    name: 'flaky', kind: 'test', project: 'default', timeoutMs: 1000, cacheTtlMs: 0, precedence: 'overlay' as const,
    circuitBreaker: { failures: 3, cooldownMs: 30_000 },
  };
  const page = { limit: 10, cursor: null };

  it('stops calling a source after 3 consecutive failures, fails at once while open, and probes once after the cooldown', async () => {
    let now = 1_000_000;
    const { source, state } = scriptedSource();
    const fed = new FederatedSource(source, block, createLogger('silent'), () => now);
    for (let i = 0; i < 3; i++) await expect(fed.list({}, page)).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    expect(state.calls).toBe(3);

    // Open: no call reaches the source, and the error says why and when it will try again.
    await expect(fed.list({}, page)).rejects.toThrow(/not called after 3 consecutive failures.*next try in 30 s/);
    await expect(fed.load(['k1'])).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    expect(await fed.probe()).toMatchObject({ status: 'DOWN' });
    expect(state.calls).toBe(3);

    // Half-open after the cooldown: one probe; it fails, so the circuit opens again for another cooldown.
    now += 30_001;
    await expect(fed.list({}, page)).rejects.toThrow(/connection refused/);
    expect(state.calls).toBe(4);
    await expect(fed.list({}, page)).rejects.toThrow(/not called/);
    expect(state.calls).toBe(4);

    // The source recovers: the next probe closes the circuit and calls flow again.
    state.fail = false;
    now += 30_001;
    expect((await fed.list({}, page)).hosts).toHaveLength(1);
    expect((await fed.list({}, page)).hosts).toHaveLength(1);
    expect(state.calls).toBe(6);
    expect(fed.lastHealth()).toMatchObject({ status: 'UP', lastError: null });
  });

  it('a success between failures resets the count: only consecutive failures open the circuit', async () => {
    const { source, state } = scriptedSource();
    const fed = new FederatedSource(source, block, createLogger('silent'), () => 0);
    await expect(fed.list({}, page)).rejects.toBeDefined();
    await expect(fed.list({}, page)).rejects.toBeDefined();
    state.fail = false;
    await fed.list({}, page);
    state.fail = true;
    await expect(fed.list({}, page)).rejects.toBeDefined();
    await expect(fed.list({}, page)).rejects.toBeDefined();
    await expect(fed.list({}, page)).rejects.toThrow(/connection refused/); // the 3rd in a row still reaches it
    expect(state.calls).toBe(6);
  });
});
