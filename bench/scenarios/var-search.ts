import { gql } from '../lib/client.js';
import { fmtMs, percentile, timePair } from '../lib/stats.js';
import type { RawDb } from '../lib/store.js';
import { sizeLabel, type Row, type ScenarioContext } from './context.js';

// Scenario 2: variable search over the whole fleet, resolution-aware (the default `resolved: true`), through
// the gateway: totalCount and the first 100 names. Baseline: one hand-written SQL JSON query per answer
// (count, then page) on the raw driver. It resolves the key by COALESCE over the levels (self, parent,
// cell, region, cloud, project), which is exact for this fleet because parent chains are at most one deep;
// MySQL/MariaDB use JSON_CONTAINS(JSON_EXTRACT()), SQLite its native JSON1 functions.

export const SEARCH_QUERY = 'query Search($vars: String!) { hosts(first: 100, filter: { vars: $vars }) { totalCount edges { node { name } } } }';

interface Search {
  label: string;
  vars: string;
  key: string;
  /** MySQL: JSON path and candidate for JSON_CONTAINS(JSON_EXTRACT(doc, path), candidate). */
  path: string;
  candidate: string;
  /** SQLite: a predicate on the resolved document expression `doc`, with JSON1. */
  sqlite: (doc: string) => string;
}

export const SEARCHES: Search[] = [
  {
    label: 'hardware.disks[*].vendor:"Seagate"',
    vars: 'hardware.disks[*].vendor:"Seagate"',
    key: 'hardware',
    path: '$.disks[*].vendor',
    candidate: '"Seagate"',
    sqlite: (doc) => `EXISTS (SELECT 1 FROM json_each(${doc}, '$.disks') j WHERE json_extract(j.value, '$.vendor') = 'Seagate')`,
  },
  {
    label: 'network.mtu:9000 (region-level key)',
    vars: 'network.mtu:9000',
    key: 'network',
    path: '$.mtu',
    candidate: '9000',
    sqlite: (doc) => `(json_type(${doc}, '$.mtu') IN ('integer', 'real') AND json_extract(${doc}, '$.mtu') = 9000)`,
  },
];

/** The hand-written resolution-aware search: count and the first 100 names by id. */
export async function baselineSearch(raw: RawDb, projectId: number, s: Search): Promise<{ total: number; names: string[] }> {
  const join = (alias: string, owner: string, idExpr: string) =>
    `LEFT JOIN variables ${alias} ON ${alias}.owner_type = '${owner}' AND ${alias}.owner_id = ${idExpr} AND ${alias}.\`key\` = ? AND ${alias}.project_id = d.project_id`;
  const from =
    'FROM devices d ' +
    [join('v0', 'device', 'd.id'), join('v1', 'device', 'd.parent_id'), join('v2', 'cell', 'd.cell_id'), join('v3', 'region', 'd.region_id'),
      join('v4', 'cloud', 'd.cloud_id'), join('v5', 'project', 'd.project_id')].join(' ');
  const doc = 'COALESCE(v0.value, v1.value, v2.value, v3.value, v4.value, v5.value)';
  const predicate = raw.kind === 'sqlite' ? s.sqlite(doc) : `JSON_CONTAINS(JSON_EXTRACT(${doc}, ?), ?) = 1`;
  const params = [s.key, s.key, s.key, s.key, s.key, s.key, projectId, ...(raw.kind === 'sqlite' ? [] : [s.path, s.candidate])];
  const where = `WHERE d.project_id = ? AND d.kind = 'host' AND ${predicate}`;
  const [count] = await raw.query<{ n: number | string }>(`SELECT COUNT(*) AS n ${from} ${where}`, params);
  const names = await raw.query<{ name: string }>(`SELECT d.name ${from} ${where} ORDER BY d.id LIMIT 100`, params);
  return { total: Number(count!.n), names: names.map((r) => r.name) };
}

export async function varSearch(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of SEARCHES) {
    ctx.log(`  search ${s.label}`);
    const probe = await gql<{ hosts: { totalCount: number; edges: Array<{ node: { name: string } }> } }>(ctx.ep, SEARCH_QUERY, { vars: s.vars }, true);
    const base = await baselineSearch(ctx.raw, ctx.projectId, s);
    const oursNames = probe.data.hosts.edges.map((e) => e.node.name);
    const same = probe.data.hosts.totalCount === base.total && oursNames.join() === base.names.join();
    if (!same) ctx.log(`WARNING: search baseline differs: gateway ${probe.data.hosts.totalCount} hosts, baseline ${base.total}`);
    const t = await timePair(
      () => gql(ctx.ep, SEARCH_QUERY, { vars: s.vars }),
      () => baselineSearch(ctx.raw, ctx.projectId, s),
      { warmup: 1, runs: ctx.quick ? 5 : 9, budgetMs: ctx.quick ? 5_000 : 40_000 },
    );
    const o50 = percentile(t.ours, 50);
    const b50 = percentile(t.base, 50);
    const ratio = o50 / b50;
    rows.push({
      scenario: `2 var search ${s.label}`, store: ctx.storeName, size: sizeLabel(ctx.hosts),
      ours: `p50 ${fmtMs(o50)}`, oursValue: o50, baseline: `p50 ${fmtMs(b50)}`, baselineValue: b50, unit: 'ms p50',
      ratio, sql: String(probe.sqlStatements), target: '≤ 1.50×', pass: ratio <= 1.5,
      notes: `${probe.data.hosts.totalCount} matches; ${t.ours.length} runs each${same ? '' : `; BASELINE DIFFERS (${base.total} matches)`}`,
      details: { matches: probe.data.hosts.totalCount, baselineMatches: base.total, sameAnswer: same, oursMs: t.ours, baselineMs: t.base },
    });
  }
  return rows;
}
