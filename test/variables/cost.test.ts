// Cost of resolution (issue 3): a page of 500 hosts with resolvedVariables and variableOrigins costs the same
// number of SQL statements as a page of 5, counted by the server (x-craton-debug-sql: 1 → extensions.sqlStatements).
//
// The fleet has variables at every level: project, cloud, regions, cells, grandparent hosts, parent hosts and
// the hosts themselves, so every page has ancestors, containers and variables to load.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCell, makeCloud, makeHosts, makeProjectWithUser, makeRegion, type HostInput, type Made } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

const HOSTS = 500;
/** Hosts 0..449 are leaves, 450..474 parents, 475..499 grandparents. */
const LEAVES = 450;
const PARENTS = 25;
/** The most statements one page may cost, whatever its size. */
const MAX_STATEMENTS = 15;

const PAGE_QUERY = `query($first: Int) {
  hosts(first: $first) {
    edges {
      node {
        name
        labels
        resolvedVariables
        variableOrigins { key holder { __typename } }
        region { name }
        cell { name }
      }
    }
  }
}`;

/** The region (0 or 1) of host i: parents and grandparents share the region of the leaves under them. */
function regionOf(i: number): number {
  return i < LEAVES ? i % 2 : ((i - LEAVES) % PARENTS) % 2;
}

/** The parent index (450..473) of leaf i, in the same region, or undefined for every third leaf. */
function parentOf(i: number): number | undefined {
  if (i % 3 === 0) return undefined;
  return LEAVES + (i % 12) * 2 + (i % 2);
}

const pad = (i: number) => `cost-${String(i).padStart(3, '0')}`;

/** How many times each page size is measured: the count must not depend on timing either. */
const SAMPLES = 8;

describeEachStore('SQL statements of resolved variables', (store) => {
  let root: TestGateway;
  let t: TestGateway;

  beforeAll(async () => {
    root = await startGateway(store);
    const admin = await makeProjectWithUser(root, 'ADMIN');
    t = root.as({ key: admin.key });
    await t.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, {
      id: admin.projectId,
      v: { p_key: 'P', level: 'project', ntp: ['10.0.0.1'] },
    });
    const cloud = await makeCloud(t, 'cost-cloud', { cl_key: 'CL', level: 'cloud' });
    const regions: Made[] = [];
    const cells: Made[][] = [];
    for (const r of [0, 1]) {
      const region = await makeRegion(t, { cloudId: cloud.id, name: `cost-r${r}`, variables: { r_key: `R${r}`, level: 'region' } });
      regions.push(region);
      cells.push([
        await makeCell(t, { regionId: region.id, name: `cost-r${r}-c0`, variables: { ce_key: `r${r}c0`, level: 'cell' } }),
        await makeCell(t, { regionId: region.id, name: `cost-r${r}-c1` }),
      ]);
    }

    const input = (i: number): HostInput => {
      const r = regionOf(i);
      const inCell = i < LEAVES ? i % 5 !== 4 : i >= LEAVES + PARENTS;
      let variables: Record<string, unknown>;
      if (i < LEAVES) variables = { idx: i, ...(i % 4 === 0 ? { level: 'host' } : {}) };
      else if (i < LEAVES + PARENTS) variables = { pa_key: `PA${i}`, level: 'parent', hw: { cpu: i } };
      else variables = { gp_key: `GP${i}`, level: 'grandparent', hw: { cpu: 0 } };
      return {
        regionId: regions[r]!.id,
        ...(inCell ? { cellId: cells[r]![i % 2]!.id } : {}),
        name: pad(i),
        ipAddress: `10.${r}.${Math.floor(i / 250)}.${i % 250}`,
        labels: [`rack-${i % 7}`, i % 2 ? 'odd' : 'even'],
        variables,
      };
    };
    // Aliased createHost mutations, 50 per request.
    const made = await makeHosts(t, Array.from({ length: HOSTS }, (_, i) => input(i)), {}, 50);

    // Parents exist only now, so reparent: leaves under parents, parents under grandparents (50 per request).
    const moves: Array<{ id: string; parentId: string }> = [];
    for (let i = 0; i < LEAVES; i++) {
      const p = parentOf(i);
      if (p !== undefined) moves.push({ id: made[i]!.id, parentId: made[p]!.id });
    }
    for (let k = 0; k < PARENTS; k++) moves.push({ id: made[LEAVES + k]!.id, parentId: made[LEAVES + PARENTS + k]!.id });
    for (let start = 0; start < moves.length; start += 50) {
      const chunk = moves.slice(start, start + 50);
      const params = chunk.map((_, k) => `$id${k}: ID!, $p${k}: ID`).join(', ');
      const fields = chunk.map((_, k) => `m${k}: updateHost(id: $id${k}, input: { parentId: $p${k} }) { id }`).join('\n');
      const variables = Object.fromEntries(chunk.flatMap((m, k) => [[`id${k}`, m.id], [`p${k}`, m.parentId]]));
      await t.ok(`mutation(${params}) {\n${fields}\n}`, variables);
    }
  }, 240_000);

  afterAll(async () => {
    await root?.stop();
  });

  /**
   * Measures a query SAMPLES times at first: 5 and at first: 500, interleaved, after a warm-up (one-off work such
   * as the key's lastUsedAt happens there). Returns every count and the last answers.
   */
  async function measure(query: string, variables: Record<string, unknown> = {}) {
    await t.sqlCount(query, { ...variables, first: 3 });
    const five: number[] = [];
    const all: number[] = [];
    let last5: any;
    let last500: any;
    for (let k = 0; k < SAMPLES; k++) {
      const a = await t.sqlCount(query, { ...variables, first: 5 });
      const b = await t.sqlCount(query, { ...variables, first: 500 });
      five.push(a.sqlStatements);
      all.push(b.sqlStatements);
      last5 = a.data;
      last500 = b.data;
    }
    const report = `first: 5 cost [${five.join(', ')}], first: 500 cost [${all.join(', ')}] statements`;
    return { five, all, last5, last500, report, distinct: [...new Set([...five, ...all])] };
  }

  it('costs the same small number of SQL statements for 5 and 500 hosts with resolvedVariables and variableOrigins', async () => {
    const m = await measure(PAGE_QUERY);
    expect(m.last5.hosts.edges).toHaveLength(5);
    expect(m.last500.hosts.edges).toHaveLength(HOSTS);

    // The small page already has every kind of work: parents, grandparents, cells.
    const small = m.last5.hosts.edges.map((e: any) => e.node);
    expect(small.filter((n: any) => n.resolvedVariables.pa_key !== undefined).length, 'hosts with a parent on the page of 5').toBeGreaterThanOrEqual(3);
    expect(small.filter((n: any) => n.cell !== null).length).toBeGreaterThanOrEqual(3);

    expect(m.distinct, `one and the same count for every measurement: ${m.report}`).toHaveLength(1);
    expect(m.distinct[0]).toBeGreaterThan(0);
    expect(Math.max(...m.five, ...m.all), m.report).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it('resolves every level correctly on the 500-host page (the cheap answer is also the right one)', async () => {
    const { data } = await t.sqlCount(PAGE_QUERY, { first: 500 });
    const byName = new Map<string, any>(data.hosts.edges.map((e: any) => [e.node.name, e.node]));

    // cost-001: region 1, cell cost-r1-c1 (no variables), parent cost-453, grandparent cost-478.
    const h1 = byName.get(pad(1));
    expect(h1.resolvedVariables).toEqual({
      idx: 1,
      pa_key: 'PA453',
      gp_key: 'GP478',
      hw: { cpu: 453 },
      level: 'parent',
      r_key: 'R1',
      cl_key: 'CL',
      p_key: 'P',
      ntp: ['10.0.0.1'],
    });
    const origin1 = Object.fromEntries(h1.variableOrigins.map((o: any) => [o.key, o.holder.__typename]));
    expect(origin1).toEqual({
      idx: 'Host',
      pa_key: 'Host',
      gp_key: 'Host',
      hw: 'Host',
      level: 'Host',
      r_key: 'Region',
      cl_key: 'Cloud',
      p_key: 'Project',
      ntp: 'Project',
    });
    expect(h1.cell).toEqual({ name: 'cost-r1-c1' });

    // cost-000: no parent (0 % 3 == 0), own level, cell cost-r0-c0 with variables.
    expect(byName.get(pad(0)).resolvedVariables).toEqual({
      idx: 0,
      level: 'host',
      ce_key: 'r0c0',
      r_key: 'R0',
      cl_key: 'CL',
      p_key: 'P',
      ntp: ['10.0.0.1'],
    });
    // cost-004: no cell (4 % 5 == 4), parent cost-458 (a parent has no cell), own level.
    expect(byName.get(pad(4)).resolvedVariables).toMatchObject({ idx: 4, level: 'host', pa_key: 'PA458', gp_key: 'GP483' });
    expect(byName.get(pad(4)).resolvedVariables).not.toHaveProperty('ce_key');
    // cost-476, a grandparent in cell c0 of region 1, gets the cell's value.
    expect(byName.get(pad(476)).resolvedVariables).toMatchObject({ gp_key: 'GP476', level: 'grandparent', ce_key: 'r1c0' });

    let withParent = 0;
    for (const node of byName.values()) {
      const kinds = new Set(node.variableOrigins.map((o: any) => o.holder.__typename));
      expect(kinds.has('Project') && kinds.has('Cloud') && kinds.has('Region'), node.name).toBe(true);
      expect(node.labels).toHaveLength(2);
      if (node.resolvedVariables.pa_key !== undefined && node.resolvedVariables.idx !== undefined) withParent++;
    }
    expect(withParent).toBe(300);
  });

  it('costs the same for 5 and 500 hosts when resolvedVariables and variableOrigins ask for a few keys', async () => {
    const q = `query($first: Int) {
      hosts(first: $first) {
        edges { node { name resolvedVariables(keys: ["level", "r_key"]) variableOrigins(keys: ["level"]) { key value holder { __typename id } } } }
      }
    }`;
    const m = await measure(q);
    expect(m.last500.hosts.edges).toHaveLength(HOSTS);
    expect(m.last500.hosts.edges.every((e: any) => Object.keys(e.node.resolvedVariables).sort().join() === 'level,r_key')).toBe(true);
    expect(m.distinct, `one and the same count for every measurement: ${m.report}`).toHaveLength(1);
    expect(Math.max(...m.five, ...m.all), m.report).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it('costs the same for a page of 5 and a page of 500 found by a resolution-aware variable search', async () => {
    const q = `query($first: Int, $vars: String) {
      hosts(first: $first, filter: { vars: $vars }) {
        totalCount
        edges { node { name resolvedVariables variableOrigins { key holder { __typename } } } }
      }
    }`;
    const m = await measure(q, { vars: 'cl_key:"CL"' });
    expect(m.last500.hosts.totalCount).toBe(HOSTS);
    expect(m.last500.hosts.edges).toHaveLength(HOSTS);
    expect(m.distinct, `one and the same count for every measurement: ${m.report}`).toHaveLength(1);
  });
});
