import type { Writable } from 'node:stream';
import { dump } from 'js-yaml';
import type { DataSource } from 'typeorm';
import { Hierarchy, type ContainerNode } from '../import/hierarchy.js';
import { boolOf, num, numOrNull, selectIn } from '../store/bulk.js';
import { RECORD_FIELDS, type ImportRecord } from '../import/types.js';

// Streams a project's inventory back out in the import format (src/import/types.ts), so export → import
// round-trips: clouds, regions and cells first, then devices level by level (roots, then their children…) so
// every parent comes before its children. Devices are read in keyset pages of `pageSize` with one statement
// each for the page, its labels, its variables and its parents' names: memory holds one page.

export type ExportFormat = 'csv' | 'json' | 'yaml';

export interface ExportOptions {
  projectId: number;
  /** Devices per page. @default 1000 */
  pageSize?: number;
}

const DEVICE_COLS = ['id', 'kind', 'region_id', 'cell_id', 'parent_id', 'name', 'ip_address', 'device_type', 'active', 'note', 'model_name', 'os_version', 'vlans'];

/** The project's objects as import records, parents before children. Variables are each object's own. */
export async function* exportRecords(ds: DataSource, opts: ExportOptions): AsyncGenerator<ImportRecord> {
  const pageSize = opts.pageSize ?? 1000;
  const h = await Hierarchy.load(ds, opts.projectId);
  const nodes = h.all();
  const containerVars = new Map<string, Record<string, unknown>>();
  const vrows = await ds.query("SELECT `owner_type`, `owner_id`, `key`, `value` FROM `variables` WHERE `project_id` = ? AND `owner_type` IN ('cloud', 'region', 'cell') ORDER BY `key`", [opts.projectId]);
  for (const r of vrows) {
    const k = `${r.owner_type}:${num(r.owner_id)}`;
    (containerVars.get(k) ?? containerVars.set(k, {}).get(k)!)[r.key] = JSON.parse(r.value);
  }
  const regions = new Map<number, ContainerNode>();
  const cells = new Map<number, ContainerNode>();
  for (const node of nodes) {
    if (node.kind === 'region') regions.set(node.id!, node);
    if (node.kind === 'cell') cells.set(node.id!, node);
    const rec: ImportRecord = { kind: node.kind, ...(node.cloud ? { cloud: node.cloud.name } : {}), ...(node.region ? { region: node.region.name } : {}), name: node.name };
    if (node.note !== null) rec.note = node.note;
    const vars = containerVars.get(`${node.kind}:${node.id}`);
    if (vars) rec.vars = vars;
    yield rec;
  }

  const cols = DEVICE_COLS.map((c) => `d.\`${c}\``).join(', ');
  for (let level = 0; ; level++) {
    let after = 0;
    let any = false;
    for (;;) {
      const page: Array<Record<string, any>> = level === 0
        ? await ds.query(`SELECT ${cols} FROM \`devices\` d WHERE d.\`project_id\` = ? AND d.\`parent_id\` IS NULL AND d.\`id\` > ? ORDER BY d.\`id\` LIMIT ${pageSize}`, [opts.projectId, after])
        : await ds.query(
          `SELECT ${cols} FROM \`devices\` d JOIN \`device_ancestors\` a ON a.\`device_id\` = d.\`id\` AND a.\`depth\` = ? `
          + `JOIN \`devices\` r ON r.\`id\` = a.\`ancestor_id\` AND r.\`parent_id\` IS NULL `
          + `WHERE d.\`project_id\` = ? AND d.\`id\` > ? ORDER BY d.\`id\` LIMIT ${pageSize}`,
          [level, opts.projectId, after],
        );
      if (!page.length) break;
      any = true;
      after = num(page[page.length - 1]!.id);
      const ids = page.map((r) => num(r.id));
      const labels = new Map<number, string[]>();
      for (const r of await selectIn(ds, 'SELECT `device_id`, `label` FROM `labels` WHERE', '`device_id`', ids, [], ' ORDER BY `label`')) {
        const id = num(r.device_id);
        (labels.get(id) ?? labels.set(id, []).get(id)!).push(String(r.label));
      }
      const vars = new Map<number, Record<string, unknown>>();
      for (const r of await selectIn(ds, "SELECT `owner_id`, `key`, `value` FROM `variables` WHERE `owner_type` = 'device' AND `project_id` = ? AND", '`owner_id`', ids, [opts.projectId], ' ORDER BY `key`')) {
        const id = num(r.owner_id);
        (vars.get(id) ?? vars.set(id, {}).get(id)!)[String(r.key)] = JSON.parse(String(r.value));
      }
      const parentIds = page.map((r) => numOrNull(r.parent_id)).filter((id): id is number => id !== null);
      const parents = new Map<number, { name: string; regionId: number }>();
      for (const r of await selectIn(ds, 'SELECT `id`, `name`, `region_id` FROM `devices` WHERE', '`id`', parentIds)) parents.set(num(r.id), { name: String(r.name), regionId: num(r.region_id) });
      for (const r of page) {
        const region = regions.get(num(r.region_id));
        if (!region) continue;
        const id = num(r.id);
        const rec: ImportRecord = { kind: r.kind, cloud: region.cloud!.name, region: region.name, name: r.name };
        const cell = r.cell_id == null ? undefined : cells.get(num(r.cell_id));
        if (cell) rec.cell = cell.name;
        const parent = r.parent_id == null ? undefined : parents.get(num(r.parent_id));
        if (parent) {
          rec.parent = parent.name;
          if (parent.regionId !== region.id) rec.parent_region = regions.get(parent.regionId)?.name ?? null;
        }
        if (r.ip_address != null) rec.ip_address = r.ip_address;
        rec.device_type = r.device_type;
        rec.active = boolOf(r.active);
        if (r.note != null) rec.note = r.note;
        if (r.kind === 'network_device') {
          if (r.model_name != null) rec.model_name = r.model_name;
          if (r.os_version != null) rec.os_version = r.os_version;
          if (r.vlans != null) rec.vlans = JSON.parse(r.vlans);
        }
        const l = labels.get(id);
        if (l?.length) rec.labels = l;
        const v = vars.get(id);
        if (v) rec.vars = v;
        yield rec;
      }
      if (page.length < pageSize) break;
    }
    if (!any) break;
  }
}

/** Text pieces of the export in a format: CSV (header + one line per object), JSON (an array, one object per line), YAML (a list). */
export async function* exportText(records: AsyncIterable<ImportRecord>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') {
    yield `${RECORD_FIELDS.join(',')}\n`;
    for await (const rec of records) yield `${RECORD_FIELDS.map((f) => csvCell(f, rec)).join(',')}\n`;
    return;
  }
  if (format === 'json') {
    let first = true;
    yield '[';
    for await (const rec of records) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(rec)}`;
      first = false;
    }
    yield first ? ']\n' : '\n]\n';
    return;
  }
  yield '# Craton inventory export: one list item per object (see examples/README.md for the format).\n';
  for await (const rec of records) yield dump([rec], { lineWidth: -1, noRefs: true });
}

/** Writes a project's export to a stream, honouring back-pressure; resolves with the number of objects written. */
export async function writeExport(ds: DataSource, opts: ExportOptions & { format: ExportFormat }, out: Writable): Promise<number> {
  let count = 0;
  const counted = async function* () {
    for await (const rec of exportRecords(ds, opts)) {
      count += 1;
      yield rec;
    }
  };
  for await (const piece of exportText(counted(), opts.format)) {
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  return count;
}

function csvCell(field: (typeof RECORD_FIELDS)[number], rec: ImportRecord): string {
  const v = (rec as unknown as Record<string, unknown>)[field];
  let text: string;
  if (v === undefined || v === null) text = '';
  else if (field === 'labels') {
    const labels = v as string[];
    text = labels.some((l) => l.includes(';') || l.startsWith('[')) ? JSON.stringify(labels) : labels.join(';');
  } else if (field === 'vars' || field === 'vlans') text = JSON.stringify(v);
  else text = String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
