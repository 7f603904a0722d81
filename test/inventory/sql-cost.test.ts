// Bounded SQL: a page of devices costs the same number of statements whatever its size, because
// labels, regions, cells and parents of a page are batch-loaded (one statement per kind).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCell, makeCloud, makeHosts, makeProjectWithUser, makeRegion, type HostInput } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

const HOSTS = 500;
/** The most statements one list request may cost (auth, page, count and one per batch-loaded kind). */
const MAX_STATEMENTS = 12;

const PAGE_QUERY = `query($first: Int) {
  hosts(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name labels region { name } cell { name } parent { name } } }
  }
}`;

describeEachStore('SQL statements per request', (store) => {
  let root: TestGateway;
  let t: TestGateway;

  beforeAll(async () => {
    root = await startGateway(store);
    const op = await makeProjectWithUser(root, 'OPERATOR');
    t = root.as({ key: op.key });
    const cloud = await makeCloud(t, 'sql-cloud', { level: 'cloud' });
    const regions = [
      await makeRegion(t, { cloudId: cloud.id, name: 'sql-r1', variables: { level: 'region', dns: 'r1' } }),
      await makeRegion(t, { cloudId: cloud.id, name: 'sql-r2', variables: { level: 'region', dns: 'r2' } }),
    ];
    const cells = [
      [
        await makeCell(t, { regionId: regions[0]!.id, name: 'c1', variables: { level: 'cell' } }),
        await makeCell(t, { regionId: regions[0]!.id, name: 'c2' }),
      ],
      [await makeCell(t, { regionId: regions[1]!.id, name: 'c3', variables: { rack: 3 } })],
    ];
    const input = (i: number): HostInput => {
      const r = i % 2;
      const regionCells = cells[r]!;
      return {
        regionId: regions[r]!.id,
        ...(i % 5 !== 4 ? { cellId: regionCells[i % regionCells.length]!.id } : {}),
        name: `sql-${String(i).padStart(3, '0')}`,
        labels: [`rack-${i % 7}`, i % 2 ? 'odd' : 'even', ...(i % 3 ? [] : ['three'])],
        variables: { idx: i, ...(i % 4 ? {} : { level: 'host' }) },
      };
    };
    // Children first, parents last: then the first page of hosts (by id) holds children whose parents are
    // not on the page, so the parent loader has to run for a page of 10 as well as for a page of 500.
    // Hosts 0..449 are created first; 400 of them (all but i % 9 == 0) are then moved under one of the
    // parents 450..499 (same region), with 50 aliased updateHost mutations per request.
    const made = await makeHosts(t, Array.from({ length: HOSTS }, (_, i) => input(i)));
    const moves = made.slice(0, HOSTS - 50).flatMap((h, i) => (i % 9 === 0 ? [] : [{ id: h.id, parentId: made[450 + (i % 50)]!.id }]));
    for (let start = 0; start < moves.length; start += 50) {
      const chunk = moves.slice(start, start + 50);
      const params = chunk.map((_, k) => `$id${k}: ID!, $p${k}: ID`).join(', ');
      const fields = chunk.map((_, k) => `m${k}: updateHost(id: $id${k}, input: { parentId: $p${k} }) { id }`).join('\n');
      const variables = Object.fromEntries(chunk.flatMap((m, k) => [[`id${k}`, m.id], [`p${k}`, m.parentId]]));
      await t.ok(`mutation(${params}) {\n${fields}\n}`, variables);
    }
  }, 180_000);
  afterAll(async () => {
    await root?.stop();
  });

  it('costs the same number of SQL statements for hosts(first: 10) and hosts(first: 500) with labels, region, cell and parent', async () => {
    await t.sqlCount(PAGE_QUERY, { first: 3 }); // warm-up: one-off work (key lastUsedAt, caches) happens here
    const ten = await t.sqlCount(PAGE_QUERY, { first: 10 });
    const all = await t.sqlCount(PAGE_QUERY, { first: 500 });
    expect(ten.data.hosts.edges).toHaveLength(10);
    expect(ten.data.hosts.edges.filter((e: any) => e.node.parent !== null).length, 'the small page has parents to load').toBeGreaterThan(5);
    expect(all.data.hosts.edges).toHaveLength(HOSTS);
    expect(all.data.hosts.totalCount).toBe(HOSTS);
    // The data is really there, so the loaders had work to do.
    const withParent = all.data.hosts.edges.filter((e: any) => e.node.parent !== null);
    expect(withParent.length).toBe(400);
    expect(all.data.hosts.edges.every((e: any) => e.node.labels.length >= 2 && e.node.region.name)).toBe(true);
    expect(all.data.hosts.edges.filter((e: any) => e.node.cell === null)).toHaveLength(100);

    expect(all.sqlStatements, `first: 500 cost ${all.sqlStatements}, first: 10 cost ${ten.sqlStatements}`).toBe(ten.sqlStatements);
    expect(ten.sqlStatements).toBeGreaterThan(0);
    expect(ten.sqlStatements).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it('costs the same for a page of 10 and a page of 400 reached with a cursor', async () => {
    const start = await t.ok(PAGE_QUERY, { first: 5 });
    const after = start.hosts.pageInfo.endCursor;
    const q = `query($first: Int, $after: String) {
      hosts(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id name labels region { name } cell { name } parent { name } } }
      }
    }`;
    const ten = await t.sqlCount(q, { first: 10, after });
    const many = await t.sqlCount(q, { first: 400, after });
    expect(ten.data.hosts.edges).toHaveLength(10);
    expect(many.data.hosts.edges).toHaveLength(400);
    expect(many.sqlStatements, `first: 400 cost ${many.sqlStatements}, first: 10 cost ${ten.sqlStatements}`).toBe(ten.sqlStatements);
    expect(ten.sqlStatements).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it('costs the same for 10 and 500 devices with variables, resolved variables and the cloud', async () => {
    const q = `query($first: Int) {
      devices(first: $first) {
        totalCount
        edges { node { id name labels variables resolvedVariables cloud { name } region { name } cell { name } parent { name } } }
      }
    }`;
    await t.sqlCount(q, { first: 3 });
    const ten = await t.sqlCount(q, { first: 10 });
    const all = await t.sqlCount(q, { first: 500 });
    const sample = all.data.devices.edges.find((e: any) => e.node.name === 'sql-000').node;
    expect(sample.resolvedVariables).toMatchObject({ idx: 0, level: 'host', dns: 'r1' });
    expect(all.sqlStatements, `first: 500 cost ${all.sqlStatements}, first: 10 cost ${ten.sqlStatements}`).toBe(ten.sqlStatements);
  });
});
