import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { refKey, type IdType } from '../ids.js';
import { pageRequest, toConnection, type Connection } from '../pagination.js';
import { CellRow, CloudRow, NetworkRow, ProjectRow, RegionRow, UserRow } from '../store/entities.js';
import { varsCondition, type SearchKind } from '../store/var-search.js';
import type { Scope } from './scope.js';
import { parseVarsArgument } from './search.js';

/** Paging arguments shared by every list. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/**
 * Runs a keyset-paged listing: the page (`first + 1` rows by id) in one statement, the count in one more
 * only when the client selects `totalCount`. Rows of the page are primed into the request's loader.
 */
async function paged<T extends ObjectLiteral & { id: number }>(
  args: PageArgs,
  query: () => SelectQueryBuilder<T>,
  alias: string,
  prime?: (row: T) => void,
): Promise<Connection<T>> {
  const page = pageRequest(args.first, args.after);
  const rows = page.first === 0 ? [] : await query().andWhere(`${alias}.id > :after`, { after: page.afterKey }).orderBy(`${alias}.id`, 'ASC').limit(page.first + 1).getMany();
  if (prime) rows.forEach(prime);
  return toConnection(rows, page, (r) => r.id, () => query().getCount());
}

/** Decodes an optional id filter: a well-formed id of the wrong type is BAD_USER_INPUT. */
function idFilter(id: string | null | undefined, type: IdType, arg: string): number | undefined {
  return id == null ? undefined : refKey(id, type, arg).key;
}

function withVars<T extends ObjectLiteral>(scope: Scope, q: SelectQueryBuilder<T>, kind: SearchKind, alias: string, vars: string | null | undefined, resolved: boolean, projectId: number | null = scope.projectId): SelectQueryBuilder<T> {
  const pairs = parseVarsArgument(vars);
  if (pairs?.length) {
    const cond = varsCondition(scope.dialect, kind, `${alias}.id`, projectId, pairs, resolved);
    q.andWhere(cond.sql, cond.params);
  }
  return q;
}

export function listClouds(scope: Scope, args: PageArgs & { name?: string | null; vars?: string | null }) {
  parseVarsArgument(args.vars);
  return paged(args, () => {
    const q = scope.ds.getRepository(CloudRow).createQueryBuilder('c').where('c.project_id = :p', { p: scope.projectId });
    if (args.name != null) q.andWhere('c.name = :name', { name: args.name });
    return withVars(scope, q, 'cloud', 'c', args.vars, false);
  }, 'c', (r) => scope.loaders.cloud.prime(r.id, r));
}

export function listRegions(scope: Scope, args: PageArgs & { cloudId?: string | null; name?: string | null; vars?: string | null; resolved?: boolean | null }) {
  const cloudId = idFilter(args.cloudId, 'Cloud', 'cloudId');
  parseVarsArgument(args.vars);
  return paged(args, () => {
    const q = scope.ds.getRepository(RegionRow).createQueryBuilder('r').where('r.project_id = :p', { p: scope.projectId });
    if (cloudId !== undefined) q.andWhere('r.cloud_id = :cloudId', { cloudId });
    if (args.name != null) q.andWhere('r.name = :name', { name: args.name });
    return withVars(scope, q, 'region', 'r', args.vars, args.resolved ?? true);
  }, 'r', (r) => scope.loaders.region.prime(r.id, r));
}

export function listCells(scope: Scope, args: PageArgs & { regionId?: string | null; cloudId?: string | null; name?: string | null; vars?: string | null; resolved?: boolean | null }) {
  const regionId = idFilter(args.regionId, 'Region', 'regionId');
  const cloudId = idFilter(args.cloudId, 'Cloud', 'cloudId');
  parseVarsArgument(args.vars);
  return paged(args, () => {
    const q = scope.ds.getRepository(CellRow).createQueryBuilder('c').where('c.project_id = :p', { p: scope.projectId });
    if (regionId !== undefined) q.andWhere('c.region_id = :regionId', { regionId });
    if (cloudId !== undefined) q.andWhere('c.cloud_id = :cloudId', { cloudId });
    if (args.name != null) q.andWhere('c.name = :name', { name: args.name });
    return withVars(scope, q, 'cell', 'c', args.vars, args.resolved ?? true);
  }, 'c', (r) => scope.loaders.cell.prime(r.id, r));
}

export function listNetworks(scope: Scope, args: PageArgs & { regionId?: string | null; cellId?: string | null; name?: string | null; vars?: string | null }) {
  const regionId = idFilter(args.regionId, 'Region', 'regionId');
  const cellId = idFilter(args.cellId, 'Cell', 'cellId');
  parseVarsArgument(args.vars);
  return paged(args, () => {
    const q = scope.ds.getRepository(NetworkRow).createQueryBuilder('n').where('n.project_id = :p', { p: scope.projectId });
    if (regionId !== undefined) q.andWhere('n.region_id = :regionId', { regionId });
    if (cellId !== undefined) q.andWhere('n.cell_id = :cellId', { cellId });
    if (args.name != null) q.andWhere('n.name = :name', { name: args.name });
    return withVars(scope, q, 'network', 'n', args.vars, false);
  }, 'n', (r) => scope.loaders.network.prime(r.id, r));
}

/** Projects: root sees every project, others their own. */
export function listProjects(scope: Scope, args: PageArgs & { vars?: string | null }) {
  parseVarsArgument(args.vars);
  return paged(args, () => {
    const q = scope.ds.getRepository(ProjectRow).createQueryBuilder('p').where('1 = 1');
    if (!scope.principal.isRoot) q.andWhere('p.id = :p', { p: scope.projectId });
    return withVars(scope, q, 'project', 'p', args.vars, false, scope.principal.isRoot ? null : scope.projectId);
  }, 'p');
}

/** Users of the caller's project. */
export function listUsers(scope: Scope, projectId: number, args: PageArgs) {
  return paged(args, () => scope.ds.getRepository(UserRow).createQueryBuilder('u').where('u.project_id = :p', { p: projectId }), 'u');
}

/** Regions of a cloud, paged. */
export function regionsOf(scope: Scope, cloudId: number, args: PageArgs) {
  return paged(args, () => scope.ds.getRepository(RegionRow).createQueryBuilder('r').where('r.project_id = :p AND r.cloud_id = :id', { p: scope.projectId, id: cloudId }), 'r', (r) => scope.loaders.region.prime(r.id, r));
}

/** Cells of a region, paged. */
export function cellsOf(scope: Scope, regionId: number, args: PageArgs) {
  return paged(args, () => scope.ds.getRepository(CellRow).createQueryBuilder('c').where('c.project_id = :p AND c.region_id = :id', { p: scope.projectId, id: regionId }), 'c', (r) => scope.loaders.cell.prime(r.id, r));
}

/** Clouds of a project (the caller's, or any for root), paged. */
export function cloudsOf(scope: Scope, projectId: number, args: PageArgs) {
  return paged(args, () => scope.ds.getRepository(CloudRow).createQueryBuilder('c').where('c.project_id = :p', { p: projectId }), 'c');
}

/** A label in use and how many devices of the project carry it. */
export interface LabelCount {
  name: string;
  deviceCount: number;
}

/** Labels by name; the cursor is the position in name order (labels have no id). */
export async function listLabels(scope: Scope, args: PageArgs): Promise<Connection<LabelCount & { id: number }>> {
  const page = pageRequest(args.first, args.after);
  // Labels of reference devices and of federated hosts' overlays, counted together.
  const union = `SELECT label FROM labels WHERE project_id = ? UNION ALL SELECT label FROM overlay_labels WHERE project_id = ?`;
  const raw: Array<{ name: string; n: string | number }> = page.first === 0 ? [] : await scope.ds.query(
    `SELECT label AS name, COUNT(*) AS n FROM (${union}) u GROUP BY label ORDER BY label LIMIT ? OFFSET ?`,
    [scope.projectId, scope.projectId, page.first + 1, page.afterKey],
  );
  const rows = raw.map((r, i) => ({ id: page.afterKey + i + 1, name: r.name, deviceCount: Number(r.n) }));
  return toConnection(rows, page, (r) => r.id, async () => {
    const [r] = await scope.ds.query(`SELECT COUNT(DISTINCT label) AS n FROM (${union}) u`, [scope.projectId, scope.projectId]);
    return Number(r.n);
  });
}
