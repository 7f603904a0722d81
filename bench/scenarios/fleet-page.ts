import { isDeepStrictEqual } from 'node:util';
import { encodeCursor } from '../../src/pagination.js';
import { gql } from '../lib/client.js';
import { startWorkerClient } from '../lib/http-worker.js';
import { fmtRatio } from '../lib/results.js';
import { fmtMs, percentile, timePair } from '../lib/stats.js';
import type { RawDb } from '../lib/store.js';
import { sizeLabel, type Row, type ScenarioContext } from './context.js';

// Scenario 1: the fleet page. hosts(first: N) with name, ipAddress, labels, region and cell names and
// resolvedVariables, through the gateway over HTTP (the client in a worker thread, as a client is another
// process); baseline: the minimal hand-written SQL on the raw driver
// that fetches the same rows and merges the variables in plain JS (then serialises the same JSON answer).

export const FLEET_PAGE_QUERY =
  'query FleetPage($first: Int!, $after: String) { hosts(first: $first, after: $after) { edges { node { name ipAddress labels region { name } cell { name } resolvedVariables } } } }';

type Node = { name: string; ipAddress: string | null; labels: string[]; region: { name: string }; cell: { name: string } | null; resolvedVariables: Record<string, unknown> };

const inList = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The baseline: 4 statements (page joined with region and cell names, labels, closure rows, variables of every
 * holder involved), then resolution (nearest level wins per top-level key, keys sorted) in plain JS. Only the
 * page filters by project; the rest look up the page's own ids by primary key.
 */
export async function baselineFleetPage(raw: RawDb, projectId: number, first: number): Promise<{ data: { hosts: { edges: Array<{ node: Node }> } } }> {
  const page = await raw.query<{ id: number; name: string; ip_address: string | null; project_id: number; cloud_id: number; region_id: number; cell_id: number | null; region: string; cell: string | null }>(
    'SELECT d.id, d.name, d.ip_address, d.project_id, d.cloud_id, d.region_id, d.cell_id, r.name AS region, c.name AS cell FROM devices d ' +
      'JOIN regions r ON r.id = d.region_id LEFT JOIN cells c ON c.id = d.cell_id ' +
      "WHERE d.project_id = ? AND d.kind = 'host' ORDER BY d.id LIMIT ?",
    [projectId, first],
  );
  const ids = page.map((d) => d.id);
  if (!ids.length) return { data: { hosts: { edges: [] } } };
  const labelRows = await raw.query<{ device_id: number; label: string }>(`SELECT device_id, label FROM labels WHERE device_id IN (${inList(ids.length)}) ORDER BY label`, ids);
  const ancRows = await raw.query<{ device_id: number; ancestor_id: number }>(`SELECT device_id, ancestor_id FROM device_ancestors WHERE device_id IN (${inList(ids.length)}) ORDER BY depth`, ids);
  const labels = new Map<number, string[]>();
  for (const r of labelRows) (labels.get(r.device_id) ?? labels.set(r.device_id, []).get(r.device_id)!).push(r.label);
  const ancestors = new Map<number, number[]>();
  for (const r of ancRows) (ancestors.get(r.device_id) ?? ancestors.set(r.device_id, []).get(r.device_id)!).push(r.ancestor_id);
  const owners: Record<string, Set<number>> = { device: new Set(ids), cell: new Set(), region: new Set(), cloud: new Set() };
  for (const r of ancRows) owners.device!.add(r.ancestor_id);
  for (const d of page) {
    if (d.cell_id !== null) owners.cell!.add(d.cell_id);
    owners.region!.add(d.region_id);
    owners.cloud!.add(d.cloud_id);
  }
  // The holders' ids all come from the project's page, so the lookups go by primary key (owner_type,
  // owner_id): no second project filter, which on SQLite without statistics would pull the planner onto the
  // (project_id, key) index and a scan of the project's every variable.
  const ors: string[] = [];
  const params: unknown[] = [];
  for (const [type, set] of Object.entries(owners)) {
    if (!set.size) continue;
    ors.push(`(owner_type = '${type}' AND owner_id IN (${inList(set.size)}))`);
    params.push(...set);
  }
  ors.push("(owner_type = 'project' AND owner_id = ?)");
  params.push(projectId);
  const varRows = await raw.query<{ owner_type: string; owner_id: number; key: string; value: string }>(
    `SELECT owner_type, owner_id, \`key\`, value FROM variables WHERE ${ors.join(' OR ')}`, params,
  );
  const vars = new Map<string, Record<string, unknown>>();
  for (const r of varRows) {
    const k = `${r.owner_type}:${r.owner_id}`;
    (vars.get(k) ?? vars.set(k, {}).get(k)!)[r.key] = JSON.parse(r.value);
  }
  const edges = page.map((d) => {
    const chain = [`device:${d.id}`, ...(ancestors.get(d.id) ?? []).map((a) => `device:${a}`), ...(d.cell_id !== null ? [`cell:${d.cell_id}`] : []),
      `region:${d.region_id}`, `cloud:${d.cloud_id}`, `project:${d.project_id}`];
    const merged: Record<string, unknown> = {};
    for (const holder of chain) {
      const v = vars.get(holder);
      if (v) for (const key in v) if (!(key in merged)) merged[key] = v[key];
    }
    const resolvedVariables: Record<string, unknown> = {};
    for (const key of Object.keys(merged).sort()) resolvedVariables[key] = merged[key];
    return { node: { name: d.name, ipAddress: d.ip_address, labels: labels.get(d.id) ?? [], region: { name: d.region }, cell: d.cell === null ? null : { name: d.cell }, resolvedVariables } };
  });
  return { data: { hosts: { edges } } };
}

export async function fleetPage(ctx: ScenarioContext): Promise<Row[]> {
  const { ep, raw, projectId } = ctx;
  const size = sizeLabel(ctx.hosts);
  const rows: Row[] = [];

  // Statement counts at three page sizes: must not grow with the page. Pages of the same shape: they start
  // at the first host that has a parent (importFleet gives children of a parent created in the same chunk
  // the chunk's last ids), so each of them holds hosts with and without parents. The first pages of the
  // list (no parents among the first ids) are reported beside them.
  const [firstChild] = await raw.query<{ id: number }>('SELECT MIN(device_id) AS id FROM device_ancestors');
  const after = firstChild?.id ? encodeCursor(Number(firstChild.id) - 1) : null;
  const counts: Record<number, number> = {};
  const fromStart: Record<number, number> = {};
  for (const first of [10, 100, 1000]) {
    counts[first] = (await gql(ep, FLEET_PAGE_QUERY, { first, after }, true)).sqlStatements!;
    fromStart[first] = (await gql(ep, FLEET_PAGE_QUERY, { first }, true)).sqlStatements!;
  }
  const constant = counts[10] === counts[100] && counts[100] === counts[1000];
  rows.push({
    scenario: '1 fleet page: SQL statements', store: ctx.storeName, size,
    ours: `first 10/100/1000: ${counts[10]}/${counts[100]}/${counts[1000]}`, oursValue: counts[1000]!, baseline: '4 (hand-written)', baselineValue: 4, unit: 'statements',
    ratio: null, sql: String(counts[1000]), target: 'constant', pass: constant,
    notes: `pages holding hosts with parents; the first pages of the list (no parents among them): ${fromStart[10]}/${fromStart[100]}/${fromStart[1000]}`,
    details: { withParents: counts, fromStart },
  });

  // Same answer? (the baseline must do the same work, or the comparison means nothing)
  const check = await gql<{ hosts: { edges: Array<{ node: Node }> } }>(ep, FLEET_PAGE_QUERY, { first: 100 });
  const base100 = await baselineFleetPage(raw, projectId, 100);
  const same = isDeepStrictEqual(check.data, base100.data);
  if (!same) ctx.log('WARNING: the fleet page baseline does not return the same answer as the gateway (first: 100)');

  const body = JSON.stringify({ query: FLEET_PAGE_QUERY, variables: { first: 1000 } });
  let bytes = 0;
  // The gateway's answers are received by a client in a worker thread (a client is another process, not
  // a part of the gateway); the baseline's answer is the JSON text, made in this thread.
  const client = startWorkerClient();
  let t: { ours: number[]; base: number[] };
  try {
    t = await timePair(
      async () => {
        const res = await client.post(ep, body);
        if (res.status !== 200) throw new Error(`fleet page: HTTP ${res.status}`);
        bytes = res.bytes;
      },
      async () => JSON.stringify(await baselineFleetPage(raw, projectId, 1000)),
      { warmup: 3, runs: ctx.quick ? 15 : 40, budgetMs: ctx.quick ? 6_000 : 30_000 },
    );
  } finally {
    await client.close();
  }
  const o50 = percentile(t.ours, 50);
  const o95 = percentile(t.ours, 95);
  const b50 = percentile(t.base, 50);
  const b95 = percentile(t.base, 95);
  const ratio = o50 / b50;
  rows.push({
    scenario: '1 fleet page first:1000', store: ctx.storeName, size,
    ours: `p50 ${fmtMs(o50)} p95 ${fmtMs(o95)}`, oursValue: o50, baseline: `p50 ${fmtMs(b50)} p95 ${fmtMs(b95)}`, baselineValue: b50, unit: 'ms p50',
    ratio, sql: String(counts[1000]), target: '≤ 1.30×', pass: ratio <= 1.3,
    notes: `${t.ours.length} runs each, interleaved; response ${(bytes / 1e6).toFixed(1)} MB; p95 ratio ${fmtRatio(o95 / b95)}${same ? '' : '; BASELINE ANSWER DIFFERS'}`,
    details: { oursMs: t.ours, baselineMs: t.base, responseBytes: bytes, sameAnswer: same, statements: counts },
  });
  return rows;
}
