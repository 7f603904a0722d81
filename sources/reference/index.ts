import { In, type DataSource } from 'typeorm';
import type { PageRequest } from '../../src/pagination.js';
import { DeviceRow } from '../../src/store/entities.js';
import { varsCondition } from '../../src/store/var-search.js';
import { dialectOf } from '../../src/store/data-source.js';
import { hydrate, positional, selectList } from '../../src/store/raw.js';
import type { DeviceCriteria, Source, SourceHealth, SourcePage } from '../source.js';

/**
 * The reference store as a source: Craton's own devices, read-write, every filter pushed down into SQL.
 * A listing costs two statements (the page, and the count only when selected), whatever its size.
 */
export class ReferenceSource implements Source<DeviceRow> {
  readonly name = 'craton';
  readonly kind = 'reference';
  readonly readOnly = false;

  constructor(private readonly ds: DataSource) {}

  async listDevices(criteria: DeviceCriteria, page: PageRequest): Promise<SourcePage<DeviceRow>> {
    const { where, params } = this.filtered(criteria);
    const { table, columns } = selectList(this.ds, DeviceRow, 'd');
    const [sql, values] = positional(`SELECT ${columns} FROM ${table} d WHERE ${where} AND d.id > :after ORDER BY d.id ASC LIMIT :limit`,
      { ...params, after: page.afterKey, limit: page.first + 1 });
    const rows = hydrate(this.ds, DeviceRow, await this.ds.query(sql, values));
    return {
      rows,
      count: async () => {
        const [countSql, countValues] = positional(`SELECT COUNT(*) AS n FROM ${table} d WHERE ${where}`, params);
        const [row] = await this.ds.query(countSql, countValues);
        return Number(row.n);
      },
    };
  }

  async loadDevices(projectId: number, keys: readonly number[]): Promise<Array<DeviceRow | null>> {
    const rows = await this.ds.getRepository(DeviceRow).find({ where: { id: In([...keys]), projectId } });
    const map = new Map(rows.map((r) => [r.id, r]));
    return keys.map((k) => map.get(k) ?? null);
  }

  async health(): Promise<SourceHealth> {
    const started = performance.now();
    try {
      await this.ds.query('SELECT 1');
      return { status: 'UP', lastError: null, latencyMs: performance.now() - started };
    } catch (err) {
      return { status: 'DOWN', lastError: err instanceof Error ? err.message : String(err), latencyMs: null };
    }
  }

  /** The WHERE of a listing (named parameters), every filter pushed down into SQL. */
  private filtered(c: DeviceCriteria): { where: string; params: Record<string, unknown> } {
    const where = ['d.project_id = :projectId'];
    const params: Record<string, unknown> = { projectId: c.projectId };
    const and = (sql: string, p: Record<string, unknown> = {}) => {
      where.push(sql);
      Object.assign(params, p);
    };
    if (c.kind) and('d.kind = :kind', { kind: c.kind });
    // An id that names nothing of this store (null) matches no device.
    for (const [col, v] of [['cloud_id', c.cloudId], ['region_id', c.regionId], ['cell_id', c.cellId], ['parent_id', c.parentId]] as const) {
      if (v === null) and('1 = 0');
      else if (v !== undefined) and(`d.${col} = :${col}`, { [col]: v });
    }
    if (c.name !== undefined) and('d.name = :name', { name: c.name });
    if (c.nameContains !== undefined) {
      const pattern = `%${c.nameContains.toLowerCase().replace(/[!%_]/g, (m) => `!${m}`)}%`;
      and("LOWER(d.name) LIKE :pattern ESCAPE '!'", { pattern });
    }
    if (c.ipAddress !== undefined) and('d.ip_address = :ip', { ip: c.ipAddress });
    if (c.deviceType !== undefined) and('d.device_type = :deviceType', { deviceType: c.deviceType });
    if (c.active !== undefined) and('d.active = :active', { active: c.active ? 1 : 0 });
    if (c.labels?.length) {
      const labels = [...new Set(c.labels)];
      and(
        `d.id IN (SELECT l.device_id FROM labels l WHERE l.project_id = :projectId AND l.label IN (:...labels) GROUP BY l.device_id HAVING COUNT(*) = :nLabels)`,
        { labels, nLabels: labels.length },
      );
    }
    if (c.vars?.length) {
      const cond = varsCondition(dialectOf(this.ds), 'device', 'd.id', c.projectId, c.vars, c.resolved ?? true);
      and(cond.sql, cond.params);
    }
    return { where: where.join(' AND '), params };
  }
}
