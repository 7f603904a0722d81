// The benchmarks compare the gateway with hand-written baselines (bench/scenarios/*): a ratio means
// something only while both give the same answer on the same data. This runs the scenarios' own
// baselines and queries on a small fleet built by the benchmark's generator, on each store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProject, loadFleet } from '../../bench/lib/dataset.js';
import { CELL_COUNT, fleetRecords, hostLabels, LABELS, REGION_COUNT } from '../../bench/lib/fleet.js';
import { formatTable, type ResultRow } from '../../bench/lib/results.js';
import { openRaw, type RawDb } from '../../bench/lib/store.js';
import { baselineFleetPage, FLEET_PAGE_QUERY } from '../../bench/scenarios/fleet-page.js';
import { baselineSearch, SEARCHES, SEARCH_QUERY } from '../../bench/scenarios/var-search.js';
import type { ImportRecord } from '../../src/import/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';

const HOSTS = 400;
const SEED = 7;

describe('the benchmark fleet', () => {
  it('is a pure function of size and seed, with the shape the issue asks for', () => {
    const a = [...fleetRecords({ hosts: HOSTS, seed: SEED })];
    expect(JSON.stringify([...fleetRecords({ hosts: HOSTS, seed: SEED })])).toBe(JSON.stringify(a));
    expect(JSON.stringify([...fleetRecords({ hosts: HOSTS, seed: SEED + 1 })])).not.toBe(JSON.stringify(a));
    const of = (kind: string) => a.filter((r) => r.kind === kind) as Array<ImportRecord & { vars?: Record<string, unknown>; labels?: string[]; parent?: string }>;
    expect(of('cloud')).toHaveLength(2);
    expect(of('region')).toHaveLength(REGION_COUNT);
    expect(REGION_COUNT).toBe(10);
    expect(of('cell')).toHaveLength(CELL_COUNT);
    expect(CELL_COUNT).toBe(200);
    const hosts = of('host');
    expect(hosts).toHaveLength(HOSTS);
    expect(LABELS).toHaveLength(50);
    for (const h of hosts) {
      expect(new Set(h.labels).size).toBe(5);
      expect(h.labels!.every((l) => LABELS.includes(l))).toBe(true);
    }
    expect(hostLabels(SEED, 3)).toEqual(hostLabels(SEED, 3));
    for (const level of ['cloud', 'region', 'cell', 'host']) for (const r of of(level)) expect(Object.keys(r.vars ?? {}), level).toHaveLength(20);
    expect(hosts.filter((h) => h.parent).length).toBeGreaterThan(0);
  });
});

describeEachStore('benchmark baselines', (store) => {
  let t: TestGateway;
  let raw: RawDb;
  let projectId: number;

  beforeAll(async () => {
    t = await startGateway(store);
    const ds = t.gateway.dataSource;
    projectId = await defaultProject(ds);
    await loadFleet(ds, { projectId, hosts: HOSTS, seed: SEED });
    const config = t.gateway.config.store;
    raw = openRaw(config.kind === 'sqlite'
      ? { kind: 'sqlite', where: config.path, url: `sqlite:${config.path}`, config, drop: async () => undefined }
      : { kind: 'mysql', where: '', url: config.url, config, drop: async () => undefined });
  });
  afterAll(async () => {
    await raw?.close();
    await t?.stop();
  });

  it('the fleet page baseline answers exactly what the gateway answers', async () => {
    for (const first of [1, 100, HOSTS]) {
      const ours = await t.ok(FLEET_PAGE_QUERY, { first });
      const base = await baselineFleetPage(raw, projectId, first);
      expect(ours.hosts.edges).toHaveLength(first);
      expect(ours, `first: ${first}`).toEqual(base.data);
    }
  });

  it('the fleet page costs the same statements at every size', async () => {
    const counts = await Promise.all([10, 100, HOSTS].map(async (first) => (await t.sqlCount(FLEET_PAGE_QUERY, { first })).sqlStatements));
    expect(new Set(counts).size, `statements: ${counts.join('/')}`).toBe(1);
  });

  it('each variable search baseline finds what the gateway finds', async () => {
    for (const s of SEARCHES) {
      const ours = await t.ok(SEARCH_QUERY, { vars: s.vars });
      const base = await baselineSearch(raw, projectId, s);
      expect(base.total, s.label).toBeGreaterThan(0);
      expect(ours.hosts.totalCount, s.label).toBe(base.total);
      expect(ours.hosts.edges.map((e: { node: { name: string } }) => e.node.name), s.label).toEqual(base.names);
    }
  });
});

describe('the benchmark table', () => {
  it('prints PASS, MISS or nothing per row, under the issue\'s columns', () => {
    const row = (pass: boolean | null): ResultRow => ({
      scenario: 's', store: 'SQLite', size: '10k', ours: '1', oursValue: 1, baseline: '1', baselineValue: 1, unit: 'ms', ratio: 1, sql: '3', target: '≤ 1.30×', pass,
    });
    const lines = formatTable([row(true), row(false), row(null)]).split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['scenario', 'store', 'size', 'ours', 'baseline', 'ratio', 'SQL/req', 'target', 'result']);
    expect(lines[2]).toMatch(/PASS$/);
    expect(lines[3]).toMatch(/MISS$/);
    expect(lines[4]).not.toMatch(/PASS|MISS/);
  });
});
