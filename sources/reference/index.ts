import { In, type DataSource, type SelectQueryBuilder } from 'typeorm';
import type { PageRequest } from '../../src/pagination.js';
import { DeviceRow } from '../../src/store/entities.js';
import { varsCondition } from '../../src/store/var-search.js';
import { dialectOf } from '../../src/store/data-source.js';
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
    const base = () => this.filtered(criteria);
    const rows = await base().andWhere('d.id > :after', { after: page.afterKey }).orderBy('d.id', 'ASC').limit(page.first + 1).getMany();
    return { rows, count: () => base().getCount() };
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

  private filtered(c: DeviceCriteria): SelectQueryBuilder<DeviceRow> {
    const q = this.ds.getRepository(DeviceRow).createQueryBuilder('d').where('d.project_id = :projectId', { projectId: c.projectId });
    if (c.kind) q.andWhere('d.kind = :kind', { kind: c.kind });
    // An id that names nothing of this store (null) matches no device.
    for (const [col, v] of [['cloud_id', c.cloudId], ['region_id', c.regionId], ['cell_id', c.cellId], ['parent_id', c.parentId]] as const) {
      if (v === null) q.andWhere('1 = 0');
      else if (v !== undefined) q.andWhere(`d.${col} = :${col}`, { [col]: v });
    }
    if (c.name !== undefined) q.andWhere('d.name = :name', { name: c.name });
    if (c.nameContains !== undefined) {
      const pattern = `%${c.nameContains.toLowerCase().replace(/[!%_]/g, (m) => `!${m}`)}%`;
      q.andWhere("LOWER(d.name) LIKE :pattern ESCAPE '!'", { pattern });
    }
    if (c.ipAddress !== undefined) q.andWhere('d.ip_address = :ip', { ip: c.ipAddress });
    if (c.deviceType !== undefined) q.andWhere('d.device_type = :deviceType', { deviceType: c.deviceType });
    if (c.active !== undefined) q.andWhere('d.active = :active', { active: c.active });
    if (c.labels?.length) {
      const labels = [...new Set(c.labels)];
      q.andWhere(
        `d.id IN (SELECT l.device_id FROM labels l WHERE l.project_id = :projectId AND l.label IN (:...labels) GROUP BY l.device_id HAVING COUNT(*) = :nLabels)`,
        { labels, nLabels: labels.length },
      );
    }
    if (c.vars?.length) {
      const cond = varsCondition(dialectOf(this.ds), 'device', 'd.id', c.projectId, c.vars, c.resolved ?? true);
      q.andWhere(cond.sql, cond.params);
    }
    return q;
  }
}
