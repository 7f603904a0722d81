import type { Dialect } from './data-source.js';

/** One ANDed pair of a Craton variable search, already parsed and validated. */
export interface SearchPair {
  key: string;
  /** MySQL JSON path on the value (`$`, `$.disks[*].vendor`, ...). */
  path: string;
  candidateJson: string;
}

/** Holders that variable search runs over. */
export type SearchKind = 'device' | 'cell' | 'region' | 'cloud' | 'project' | 'network';

/** A WHERE fragment with its named parameters, for a TypeORM query builder. */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * Where each kind inherits from, nearest first after itself (and, for devices, after their parent devices):
 * the column of the searched table that names the level, and that level's owner type.
 * Clouds, projects and networks resolve only to themselves.
 */
const LEVELS: Record<SearchKind, { table: string; levels: Array<[column: string, owner: string]> }> = {
  device: { table: 'devices', levels: [['cell_id', 'cell'], ['region_id', 'region'], ['cloud_id', 'cloud'], ['project_id', 'project']] },
  cell: { table: 'cells', levels: [['region_id', 'region'], ['cloud_id', 'cloud'], ['project_id', 'project']] },
  region: { table: 'regions', levels: [['cloud_id', 'cloud'], ['project_id', 'project']] },
  cloud: { table: 'clouds', levels: [] },
  project: { table: 'projects', levels: [] },
  network: { table: 'networks', levels: [] },
};

/** The SQL name of the store function that tests one stored value against a pair (MySQL: native JSON functions). */
export const SQLITE_MATCH_FUNCTION = 'craton_json_match';

/**
 * Builds `idColumn IN (...)` selecting the holders of `kind` whose variables match every pair: the search
 * runs inside the store (MySQL's JSON_CONTAINS(JSON_EXTRACT()), or the same semantics registered as an
 * SQLite function), never by loading variables into the process.
 *
 * With `resolved`, a holder matches a pair when the NEAREST level that defines the pair's key (itself,
 * its parent devices nearest first, cell, region, cloud, project) holds a matching value: a closer override
 * that does not match excludes it, one that matches includes it. Cost: one statement, whatever the size.
 */
export function varsCondition(dialect: Dialect, kind: SearchKind, idColumn: string, projectId: number | null, pairs: SearchPair[], resolved: boolean): SqlCondition {
  // projectId null: root searching projects across tenants.
  const params: Record<string, unknown> = projectId === null ? {} : { vsProject: projectId };
  const inProject = (col: string) => (projectId === null ? '1 = 1' : `${col} = :vsProject`);
  const parts = pairs.map((pair, i) => {
    params[`vsKey${i}`] = pair.key;
    params[`vsPath${i}`] = pair.path;
    params[`vsCand${i}`] = pair.candidateJson;
    const match =
      dialect === 'sqlite'
        ? `${SQLITE_MATCH_FUNCTION}(v.value, :vsPath${i}, :vsCand${i}) = 1`
        : `JSON_CONTAINS(JSON_EXTRACT(v.value, :vsPath${i}), :vsCand${i}) = 1`;
    const M = (owner: string) =>
      `SELECT v.owner_id FROM variables v WHERE ${inProject('v.project_id')} AND v.owner_type = '${owner}' AND v.key = :vsKey${i} AND ${match}`;
    const D = (owner: string) =>
      `SELECT v.owner_id FROM variables v WHERE ${inProject('v.project_id')} AND v.owner_type = '${owner}' AND v.key = :vsKey${i}`;
    const branches = [M(kind)];
    if (resolved) branches.push(...inherited(kind, i, M, D, inProject));
    return `${idColumn} IN (${branches.join(' UNION ')})`;
  });
  return { sql: parts.map((p) => `(${p})`).join(' AND '), params };
}

/** Branches for matches inherited from parent devices and containers, each excluding nearer definitions. */
function inherited(kind: SearchKind, i: number, M: (o: string) => string, D: (o: string) => string, inProject: (col: string) => string): string[] {
  const { table, levels } = LEVELS[kind];
  const t = `vs${i}`;
  const branches: string[] = [];
  const nearer: string[] = [];
  if (kind === 'device') {
    // Parent devices: the nearest ancestor defining the key must match, and neither the device nor a
    // closer ancestor may define it.
    branches.push(
      `SELECT a.device_id FROM device_ancestors a WHERE a.ancestor_id IN (${M('device')})` +
        ` AND a.device_id NOT IN (${D('device')})` +
        ` AND NOT EXISTS (SELECT 1 FROM device_ancestors a2 WHERE a2.device_id = a.device_id AND a2.depth < a.depth AND a2.ancestor_id IN (${D('device')}))`,
    );
    nearer.push(`${t}.id NOT IN (${D('device')})`, `${t}.id NOT IN (SELECT a.device_id FROM device_ancestors a WHERE a.ancestor_id IN (${D('device')}))`);
  } else {
    nearer.push(`${t}.id NOT IN (${D(kind)})`);
  }
  for (const [column, owner] of levels) {
    branches.push(`SELECT ${t}.id FROM ${table} ${t} WHERE ${inProject(`${t}.project_id`)} AND ${t}.${column} IN (${M(owner)})${nearer.map((n) => ` AND ${n}`).join('')}`);
    nearer.push(`(${t}.${column} IS NULL OR ${t}.${column} NOT IN (${D(owner)}))`);
  }
  return branches;
}
