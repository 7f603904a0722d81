import type { DataSource } from 'typeorm';
import { toDate } from '../auth/keys.js';
import { REFERENCE_SOURCE, toGlobalId, type IdType } from '../ids.js';
import { diff } from '../inventory/changes.js';
import type { Dialect } from '../store/data-source.js';
import { storeTransaction } from '../store/transaction.js';
import { CellRow, CloudRow, DeviceRow, RegionRow } from '../store/entities.js';
import { computeClosure } from './closure.js';
import { ContainerNode, Ref, type Hierarchy } from './hierarchy.js';
import type { CellRecord, CloudRecord, DeviceRecord, NormalRecord, RegionRecord } from './normalize.js';
import { boolOf, deleteIn, deleteLabelPairs, insertRows, num, numOrNull, selectIn, updateRows, type Runner } from '../store/bulk.js';

// One chunk of an import: PLAN (a constant number of reads: the chunk's devices by name, their labels,
// variables and closure rows) and, unless it is a dry run, APPLY (multi-row INSERTs, one CASE UPDATE per table,
// closure, labels, a variables upsert and the change records), all in ONE transaction. The statement count
// depends on the chunk size (through the placeholder budget), never on how many rows came before.

export type Outcome = 'created' | 'updated' | 'unchanged';

/** What happened to one row of the chunk: an outcome, or the reason it was rejected (nothing of it written). */
export interface RowOutcome {
  rec: NormalRecord;
  outcome?: Outcome;
  reason?: string;
}

export interface ChunkContext {
  ds: DataSource;
  dialect: Dialect;
  projectId: number;
  actor: string;
  requestId: string;
  dryRun: boolean;
  hierarchy: Hierarchy;
  /** Dry run only: devices earlier chunks would have created, by `${regionId}\0${name}` (they are not stored). */
  simulated: Map<string, Ref>;
  /** Dry run only: placeholder ids for objects that would be created. */
  fakeId: () => number;
}

interface ContainerPlan {
  rec: CloudRecord | RegionRecord | CellRecord;
  node: ContainerNode;
  isNew: boolean;
  noteBefore: string | null;
  noteChanged: boolean;
  vars: Array<[string, string]>;
  varsBefore: Record<string, unknown>;
}

type Column = 'cell_id' | 'parent_id' | 'ip_address' | 'device_type' | 'active' | 'note' | 'model_name' | 'os_version' | 'vlans';

interface DevicePlan {
  rec: DeviceRecord;
  ref: Ref;
  stored?: DeviceRow;
  region: ContainerNode;
  cell: ContainerNode | null | undefined;
  parent: Ref | null | undefined;
  /** New device: every column; existing: only the changed ones. Refs are resolved to ids when applied. */
  columns: Partial<Record<Column, unknown>>;
  labelsBefore: string[];
  labelsAdd: string[];
  labelsRemove: string[];
  vars: Array<[string, string]>;
  varsBefore: Record<string, unknown>;
}

interface ChunkPlan {
  now: Date;
  containers: ContainerPlan[];
  devices: DevicePlan[];
  /** Existing devices whose closure rows are rewritten (moved devices and their subtrees). */
  rewriteClosureOf: Ref[];
  ancestors: Map<Ref, Ref[]>;
  /** Device kinds by id, for the global ids change records give parents. */
  kinds: Map<number, string>;
}

const DEVICE_COLUMNS = 'id, kind, project_id, cloud_id, region_id, cell_id, parent_id, name, ip_address, device_type, active, note, model_name, os_version, vlans, created_at, updated_at'
  .split(', ').map((c) => `\`${c}\``).join(', ');
const GRAPHQL_TYPE = { host: 'Host', network_device: 'NetworkDevice' } as const;
const CONTAINER_TYPE = { cloud: 'Cloud', region: 'Region', cell: 'Cell' } as const;

/** Plans and (unless dry) writes one chunk in one transaction; every row gets an outcome or a reason. */
export async function runChunk(ctx: ChunkContext, records: NormalRecord[]): Promise<RowOutcome[]> {
  const outcomes = new Map<NormalRecord, RowOutcome>(records.map((rec) => [rec, { rec }]));
  const reject = (rec: NormalRecord, reason: string) => { outcomes.get(rec)!.reason = reason; };
  const work = async (db: Runner) => {
    const plan = await planChunk(ctx, db, records, reject);
    if (!ctx.dryRun) await applyChunk(ctx, db, plan);
    for (const p of plan.containers) outcomes.get(p.rec)!.outcome = p.isNew ? 'created' : p.noteChanged || p.vars.length ? 'updated' : 'unchanged';
    for (const p of plan.devices) {
      const changed = Object.keys(p.columns).length || p.labelsAdd.length || p.labelsRemove.length || p.vars.length;
      outcomes.get(p.rec)!.outcome = !p.stored ? (ctx.simulated.has(simKey(p.region, p.rec.name)) && ctx.dryRun ? 'updated' : 'created') : changed ? 'updated' : 'unchanged';
    }
    if (ctx.dryRun) for (const p of plan.devices) if (!p.stored) ctx.simulated.set(simKey(p.region, p.rec.name), p.ref);
  };
  try {
    if (ctx.dryRun) await work(ctx.ds);
    else await storeTransaction(ctx.ds, (em) => work(em));
    ctx.hierarchy.commit();
  } catch (err) {
    ctx.hierarchy.rollback();
    throw err;
  }
  return [...outcomes.values()];
}

const simKey = (region: ContainerNode, name: string) => `${region.id}\0${name}`;

async function planChunk(ctx: ChunkContext, db: Runner, records: NormalRecord[], reject: (rec: NormalRecord, reason: string) => void): Promise<ChunkPlan> {
  const h = ctx.hierarchy;
  const now = new Date();
  const containers: ContainerPlan[] = [];

  // Containers, level by level, so a region may follow its cloud within the chunk.
  for (const level of ['cloud', 'region', 'cell'] as const) {
    for (const rec of records) {
      if (rec.kind !== level) continue;
      let cloud: ContainerNode | null = null;
      let region: ContainerNode | null = null;
      let existing: ContainerNode | undefined;
      if (rec.kind === 'cloud') existing = h.cloud(rec.name);
      else {
        cloud = h.cloud(rec.cloud) ?? null;
        if (!cloud) { reject(rec, `cloud '${rec.cloud}' not found: add a cloud row for it first`); continue; }
        if (rec.kind === 'region') existing = h.region(rec.cloud, rec.name);
        else {
          region = h.region(rec.cloud, rec.region) ?? null;
          if (!region) { reject(rec, `region '${rec.region}' not found in cloud '${rec.cloud}': add a region row for it first`); continue; }
          existing = h.cell(rec.cloud, rec.region, rec.name);
        }
      }
      if (existing) {
        const noteChanged = rec.note !== undefined && rec.note !== existing.note;
        containers.push({ rec, node: existing, isNew: false, noteBefore: existing.note, noteChanged, vars: rec.vars, varsBefore: {} });
        if (noteChanged) existing.note = rec.note ?? null;
      } else {
        const node = new ContainerNode(ctx.dryRun ? ctx.fakeId() : undefined, level, rec.name, rec.note ?? null, cloud, region, now, null);
        h.stage(node);
        containers.push({ rec, node, isNew: true, noteBefore: null, noteChanged: false, vars: rec.vars, varsBefore: {} });
      }
    }
  }

  // Devices: resolve their containers and parents' regions by name (in memory).
  type Placed = { rec: DeviceRecord; region: ContainerNode; cell: ContainerNode | null | undefined; parentRegion: ContainerNode | null };
  const placed: Placed[] = [];
  for (const rec of records) {
    if (rec.kind !== 'host' && rec.kind !== 'network_device') continue;
    const region = h.region(rec.cloud, rec.region);
    if (!region) { reject(rec, `region '${rec.region}' not found in cloud '${rec.cloud}': add a region row for it first`); continue; }
    let cell: ContainerNode | null | undefined = rec.cell === undefined ? undefined : null;
    if (typeof rec.cell === 'string') {
      cell = h.cell(rec.cloud, rec.region, rec.cell);
      if (!cell) { reject(rec, `cell '${rec.cell}' not found in region '${rec.region}': add a cell row for it first`); continue; }
    }
    let parentRegion: ContainerNode | null = null;
    if (typeof rec.parent === 'string') {
      parentRegion = rec.parentRegion ? h.region(rec.cloud, rec.parentRegion) ?? null : region;
      if (!parentRegion) { reject(rec, `parent_region '${rec.parentRegion}' not found in cloud '${rec.cloud}'`); continue; }
    }
    placed.push({ rec, region, cell, parentRegion });
  }

  // READ 1: the stored devices the chunk names (itself and its parents), in one IN list.
  const names = new Set<string>();
  for (const p of placed) {
    if (p.region.id !== undefined) names.add(p.rec.name);
    if (p.parentRegion?.id !== undefined && p.rec.parent) names.add(p.rec.parent);
  }
  const stored = new Map<string, DeviceRow>();
  const storedById = new Map<number, DeviceRow>();
  const rows = await selectIn(db, `SELECT ${DEVICE_COLUMNS} FROM \`devices\` WHERE \`project_id\` = ? AND`, '`name`', [...names], [ctx.projectId]);
  for (const r of rows) {
    const row = deviceRow(r);
    stored.set(`${row.regionId}\0${row.name}`, row);
    storedById.set(row.id, row);
  }
  const refs = new Map<number, Ref>();
  const refOf = (id: number) => refs.get(id) ?? refs.set(id, new Ref(id)).get(id)!;

  const devices: DevicePlan[] = [];
  const inChunk = new Map<ContainerNode, Map<string, DevicePlan>>();
  for (const { rec, region, cell, parentRegion } of placed) {
    const row = region.id === undefined ? undefined : stored.get(`${region.id}\0${rec.name}`);
    if (row && row.kind !== rec.kind) {
      reject(rec, `a ${row.kind === 'host' ? 'host' : 'network device'} named '${rec.name}' already exists in region '${region.name}'`);
      continue;
    }
    const ref = row ? refOf(row.id) : ctx.dryRun ? ctx.simulated.get(simKey(region, rec.name)) ?? new Ref(ctx.fakeId()) : new Ref(undefined);
    let parent: Ref | null | undefined = rec.parent === undefined ? undefined : null;
    if (typeof rec.parent === 'string' && parentRegion) {
      const planned = inChunk.get(parentRegion)?.get(rec.parent);
      const parentRow = parentRegion.id === undefined ? undefined : stored.get(`${parentRegion.id}\0${rec.parent}`);
      parent = planned?.ref ?? (parentRow ? refOf(parentRow.id) : ctx.dryRun ? ctx.simulated.get(simKey(parentRegion, rec.parent)) : undefined);
      if (!parent) {
        reject(rec, `parent '${rec.parent}' not found in region '${parentRegion.name}': a parent must exist already or come earlier in the file`);
        continue;
      }
      if (parent === ref) { reject(rec, `parent: a device cannot be its own parent ('${rec.name}')`); continue; }
    }
    const plan: DevicePlan = { rec, ref, stored: row, region, cell, parent, columns: {}, labelsBefore: [], labelsAdd: [], labelsRemove: [], vars: rec.vars, varsBefore: {} };
    if (!row) {
      plan.columns = {
        cell_id: cell ?? null, parent_id: parent ?? null, ip_address: rec.ipAddress ?? null,
        device_type: rec.deviceType ?? (rec.kind === 'host' ? 'server' : 'switch'), active: rec.active ?? true, note: rec.note ?? null,
        model_name: rec.modelName ?? null, os_version: rec.osVersion ?? null, vlans: rec.vlans ?? null,
      };
      plan.labelsAdd = rec.labels ?? [];
    } else {
      const c = plan.columns;
      if (cell !== undefined && (cell === null ? row.cellId !== null : cell.id !== row.cellId)) c.cell_id = cell;
      if (parent !== undefined && (parent === null ? row.parentId !== null : parent.id !== row.parentId)) c.parent_id = parent;
      if (rec.ipAddress !== undefined && rec.ipAddress !== row.ipAddress) c.ip_address = rec.ipAddress;
      if (rec.deviceType !== undefined && rec.deviceType !== row.deviceType) c.device_type = rec.deviceType;
      if (rec.active !== undefined && rec.active !== row.active) c.active = rec.active;
      if (rec.note !== undefined && rec.note !== row.note) c.note = rec.note;
      if (rec.modelName !== undefined && rec.modelName !== row.modelName) c.model_name = rec.modelName;
      if (rec.osVersion !== undefined && rec.osVersion !== row.osVersion) c.os_version = rec.osVersion;
      if (rec.vlans !== undefined && rec.vlans !== row.vlans) c.vlans = rec.vlans;
    }
    devices.push(plan);
    (inChunk.get(region) ?? inChunk.set(region, new Map()).get(region)!).set(rec.name, plan);
  }

  // READ 2 and 3: current labels and (only the keys the chunk sets) variables of existing objects.
  const labelled = devices.filter((p) => p.stored && p.rec.labels !== undefined);
  if (labelled.length) {
    const current = new Map<number, string[]>();
    for (const r of await selectIn(db, 'SELECT `device_id`, `label` FROM `labels` WHERE', '`device_id`', labelled.map((p) => p.stored!.id))) {
      const id = num(r.device_id);
      (current.get(id) ?? current.set(id, []).get(id)!).push(String(r.label));
    }
    for (const p of labelled) {
      const have = current.get(p.stored!.id) ?? [];
      const want = p.rec.labels!;
      p.labelsBefore = [...have].sort();
      p.labelsAdd = want.filter((l) => !have.includes(l));
      p.labelsRemove = have.filter((l) => !want.includes(l));
    }
  }
  const holders: Array<{ owner: string; id: number; plan: ContainerPlan | DevicePlan }> = [];
  for (const p of containers) if (!p.isNew && p.vars.length && p.node.id! > 0) holders.push({ owner: p.node.kind, id: p.node.id!, plan: p });
  for (const p of devices) if (p.stored && p.vars.length) holders.push({ owner: 'device', id: p.stored.id, plan: p });
  if (holders.length) {
    const keys = [...new Set(holders.flatMap((x) => x.plan.vars.map(([k]) => k)))];
    const keyFilter = keys.length <= 1000 ? ` \`key\` IN (${keys.map(() => '?').join(', ')}) AND` : '';
    const current = new Map<string, Record<string, string>>();
    const sql = `SELECT \`owner_type\`, \`owner_id\`, \`key\`, \`value\` FROM \`variables\` WHERE \`project_id\` = ? AND${keyFilter}`;
    for (const r of await selectIn(db, sql, '`owner_id`', holders.map((x) => x.id), [ctx.projectId, ...(keyFilter ? keys : [])])) {
      const k = `${r.owner_type}:${num(r.owner_id)}`;
      (current.get(k) ?? current.set(k, {}).get(k)!)[String(r.key)] = String(r.value);
    }
    for (const { owner, id, plan } of holders) {
      const have = current.get(`${owner}:${id}`) ?? {};
      plan.vars = plan.vars.filter(([k, v]) => have[k] !== v);
      plan.varsBefore = Object.fromEntries(plan.vars.map(([k]) => [k, k in have ? JSON.parse(have[k]!) : null]));
    }
  }

  const kinds = new Map<number, string>([...storedById.values()].map((r) => [r.id, r.kind]));
  const closure = await planClosure(db, devices, storedById, refOf, reject, kinds);
  return { now, containers, devices: devices.filter((p) => !closure.rejected.has(p)), rewriteClosureOf: closure.rewrite, ancestors: closure.ancestors, kinds };
}

/**
 * Closure rows for new and moved devices. Reads: the subtrees of moved devices and their parents (only when
 * something moves), then the stored chains of the unaffected parents the new chains hang from. A move that
 * would make a cycle rejects the latest such row of the chunk, whole.
 */
async function planClosure(
  db: Runner, devices: DevicePlan[], storedById: Map<number, DeviceRow>, refOf: (id: number) => Ref,
  reject: (rec: NormalRecord, reason: string) => void, kinds: Map<number, string>,
): Promise<{ ancestors: Map<Ref, Ref[]>; rewrite: Ref[]; rejected: Set<DevicePlan> }> {
  const rejected = new Set<DevicePlan>();
  const planOf = new Map<Ref, DevicePlan>(devices.map((p) => [p.ref, p]));
  const dbParent = new Map<number, number | null>();
  for (const row of storedById.values()) dbParent.set(row.id, row.parentId);
  const moved = devices.filter((p) => p.stored && 'parent_id' in p.columns);
  const below = new Set<Ref>();
  if (moved.length) {
    const sub = await selectIn(db, 'SELECT `device_id` FROM `device_ancestors` WHERE', '`ancestor_id`', moved.map((p) => p.stored!.id));
    const ids = [...new Set(sub.map((r) => num(r.device_id)))];
    const oldParents = moved.map((p) => p.stored!.parentId).filter((id): id is number => id !== null);
    for (const r of await selectIn(db, 'SELECT `id`, `kind`, `parent_id` FROM `devices` WHERE', '`id`', [...ids, ...oldParents])) {
      dbParent.set(num(r.id), numOrNull(r.parent_id));
      kinds.set(num(r.id), String(r.kind));
    }
    for (const id of ids) below.add(refOf(id));
  }
  const chains = new Map<number, Ref[]>();
  for (;;) {
    const live = devices.filter((p) => !rejected.has(p));
    const affected = new Set<Ref>([...live.filter((p) => !p.stored || 'parent_id' in p.columns).map((p) => p.ref), ...below]);
    const parentOf = (ref: Ref): Ref | null => {
      const plan = planOf.get(ref);
      if (plan && !rejected.has(plan) && (!plan.stored || 'parent_id' in plan.columns)) return (plan.stored ? (plan.columns.parent_id as Ref | null) : plan.parent) ?? null;
      const id = ref.id !== undefined ? dbParent.get(ref.id) : null;
      return id == null ? null : refOf(id);
    };
    const anchors = new Set<number>();
    for (const ref of affected) {
      const p = parentOf(ref);
      if (p && !affected.has(p) && p.id !== undefined && p.id > 0 && !chains.has(p.id)) anchors.add(p.id);
    }
    if (anchors.size) {
      const rows = await selectIn(db, 'SELECT `device_id`, `ancestor_id`, `depth` FROM `device_ancestors` WHERE', '`device_id`', [...anchors]);
      for (const id of anchors) chains.set(id, []);
      rows.sort((a, b) => num(a.depth) - num(b.depth));
      for (const r of rows) chains.get(num(r.device_id))!.push(refOf(num(r.ancestor_id)));
    }
    const result = computeClosure({ affected, parentOf, storedAncestors: (ref) => (ref.id !== undefined ? chains.get(ref.id) ?? [] : []) });
    if ('ancestors' in result) {
      const rewrite = [...affected].filter((ref) => ref.id !== undefined && ref.id > 0 && (below.has(ref) || planOf.get(ref)?.stored));
      return { ancestors: result.ancestors, rewrite, rejected };
    }
    const culprits = result.cycle.map((ref) => planOf.get(ref)).filter((p): p is DevicePlan => !!p && !!p.stored && !rejected.has(p) && 'parent_id' in p.columns);
    const culprit = culprits.sort((a, b) => b.rec.line - a.rec.line)[0];
    if (!culprit) throw new Error('internal error: a device parent cycle without a moved device');
    const parentName = (culprit.columns.parent_id as Ref).id !== undefined ? storedById.get((culprit.columns.parent_id as Ref).id!)?.name ?? culprit.rec.parent : culprit.rec.parent;
    reject(culprit.rec, `parent: a device cannot have a descendant as its parent ('${parentName}' is below '${culprit.rec.name}')`);
    rejected.add(culprit);
  }
}

async function applyChunk(ctx: ChunkContext, db: Runner, plan: ChunkPlan): Promise<void> {
  const { dialect, projectId } = ctx;
  const now = plan.now;
  const changes: unknown[][] = [];
  const change = (action: 'CREATE' | 'UPDATE', type: string, id: number, before: unknown, after: Record<string, unknown>, variables?: Array<[string, string]>) => {
    changes.push([projectId, now, ctx.actor, action, type, REFERENCE_SOURCE, String(id), before == null ? null : JSON.stringify(before), withVariables(after, variables), ctx.requestId]);
  };
  const varRows: unknown[][] = [];

  // Containers: clouds, then regions (which need their cloud's id), then cells.
  for (const level of ['cloud', 'region', 'cell'] as const) {
    const table = `${level}s`;
    const plans = plan.containers.filter((p) => p.node.kind === level);
    const created = plans.filter((p) => p.isNew);
    if (created.length) {
      const cols = ['project_id', ...(level === 'cloud' ? [] : ['cloud_id']), ...(level === 'cell' ? ['region_id'] : []), 'name', 'note', 'created_at', 'updated_at'];
      await insertRows(db, dialect, table, cols, created.map(({ node }) => [
        projectId, ...(level === 'cloud' ? [] : [node.cloud!.id]), ...(level === 'cell' ? [node.region!.id] : []), node.name, node.note, now, null,
      ]));
      const parentCol = level === 'cloud' ? null : level === 'region' ? 'cloud_id' : 'region_id';
      const back = await selectIn(db, `SELECT \`id\`, \`name\`${parentCol ? `, \`${parentCol}\`` : ''} FROM \`${table}\` WHERE \`project_id\` = ? AND`, '`name`', created.map((p) => p.node.name), [projectId]);
      const ids = new Map(back.map((r) => [`${parentCol ? num(r[parentCol]) : ''}\0${r.name}`, num(r.id)]));
      for (const { node } of created) node.id = ids.get(`${level === 'cloud' ? '' : level === 'region' ? node.cloud!.id : node.region!.id}\0${node.name}`);
    }
    const updated = plans.filter((p) => !p.isNew && p.noteChanged);
    if (updated.length) await updateRows(db, dialect, table, new Map(updated.map((p) => [p.node.id!, { note: p.node.note, updated_at: now }])));
    for (const p of plans) {
      for (const [k, v] of p.vars) varRows.push([level, p.node.id, k, projectId, v]);
      const row = containerRow(p.node, projectId);
      if (p.isNew) change('CREATE', CONTAINER_TYPE[level], p.node.id!, null, snap(row, plan.kinds), p.vars);
      else if (p.noteChanged || p.vars.length) {
        const before: Record<string, unknown> = p.noteChanged ? { note: p.noteBefore } : {};
        const after: Record<string, unknown> = p.noteChanged ? { note: p.node.note } : {};
        if (p.vars.length) before.variables = p.varsBefore;
        change('UPDATE', CONTAINER_TYPE[level], p.node.id!, before, after, p.vars.length ? p.vars : undefined);
      }
    }
  }

  // Devices: one multi-row INSERT, the ids read back by (region, name), then one CASE UPDATE for the rest.
  const resolve = (v: unknown) => (v instanceof Ref ? v.id ?? null : v);
  const created = plan.devices.filter((p) => !p.stored);
  // Parents first: each generation is one INSERT and one SELECT of the ids back by (region, name), so a child
  // is inserted with its new parent's id (usually two generations: hypervisors, then their guests).
  const cols = ['kind', 'project_id', 'cloud_id', 'region_id', 'cell_id', 'parent_id', 'name', 'ip_address', 'device_type', 'active', 'note', 'model_name', 'os_version', 'vlans', 'created_at', 'updated_at'];
  for (let pending = created; pending.length;) {
    const ready = pending.filter((p) => !(p.columns.parent_id instanceof Ref) || p.columns.parent_id.id !== undefined);
    if (!ready.length) throw new Error('internal error: new devices whose parents are never inserted');
    await insertRows(db, dialect, 'devices', cols, ready.map((p) => {
      const c = p.columns;
      return [p.rec.kind, projectId, p.region.cloud!.id, p.region.id, resolve(c.cell_id), resolve(c.parent_id), p.rec.name, c.ip_address, c.device_type, c.active, c.note, c.model_name, c.os_version, c.vlans, now, null];
    }));
    const back = await selectIn(db, 'SELECT `id`, `region_id`, `name` FROM `devices` WHERE `project_id` = ? AND', '`name`', ready.map((p) => p.rec.name), [projectId]);
    const ids = new Map(back.map((r) => [`${num(r.region_id)}\0${r.name}`, num(r.id)]));
    for (const p of ready) p.ref.id = ids.get(`${p.region.id}\0${p.rec.name}`);
    pending = pending.filter((p) => p.ref.id === undefined);
  }
  const updates = new Map<number, Record<string, unknown>>();
  for (const p of plan.devices) {
    if (!p.stored) continue;
    if (Object.keys(p.columns).length) updates.set(p.stored.id, { ...Object.fromEntries(Object.entries(p.columns).map(([k, v]) => [k, resolve(v)])), updated_at: now });
  }
  if (updates.size) await updateRows(db, dialect, 'devices', updates);

  // Closure rows: rewrite moved subtrees, add new devices' chains.
  if (plan.rewriteClosureOf.length) await deleteIn(db, 'device_ancestors', 'device_id', plan.rewriteClosureOf.map((r) => r.id));
  const closureRows: unknown[][] = [];
  for (const [ref, chain] of plan.ancestors) chain.forEach((anc, i) => closureRows.push([ref.id, anc.id, i + 1]));
  if (closureRows.length) await insertRows(db, dialect, 'device_ancestors', ['device_id', 'ancestor_id', 'depth'], closureRows);

  // Labels: remove what a row's label set dropped, add what it gained.
  const removals = new Map(plan.devices.filter((p) => p.labelsRemove.length).map((p) => [p.ref.id!, p.labelsRemove]));
  if (removals.size) await deleteLabelPairs(db, removals);
  const labelRows = plan.devices.flatMap((p) => p.labelsAdd.map((l) => [p.ref.id, l, projectId]));
  if (labelRows.length) await insertRows(db, dialect, 'labels', ['device_id', 'label', 'project_id'], labelRows);

  for (const p of created) plan.kinds.set(p.ref.id!, p.rec.kind);
  for (const p of plan.devices) {
    for (const [k, v] of p.vars) varRows.push(['device', p.ref.id, k, projectId, v]);
    const type = GRAPHQL_TYPE[p.rec.kind];
    const after = deviceRowOf(p, projectId, now);
    if (!p.stored) {
      change('CREATE', type, p.ref.id!, null, { ...snap(after, plan.kinds), labels: [...p.labelsAdd].sort() }, p.vars);
      continue;
    }
    const labelsChanged = p.labelsAdd.length > 0 || p.labelsRemove.length > 0;
    if (!Object.keys(p.columns).length && !labelsChanged && !p.vars.length) continue;
    const d = Object.keys(p.columns).length ? diff(snap(p.stored, plan.kinds), snap(after, plan.kinds)) : { before: {}, after: {} };
    const before: Record<string, unknown> = d.before;
    const afterPart: Record<string, unknown> = d.after;
    if (labelsChanged) {
      before.labels = p.labelsBefore;
      afterPart.labels = [...p.labelsBefore.filter((l) => !p.labelsRemove.includes(l)), ...p.labelsAdd].sort();
    }
    if (p.vars.length) before.variables = p.varsBefore;
    change('UPDATE', type, p.stored.id, before, afterPart, p.vars.length ? p.vars : undefined);
  }
  if (varRows.length) {
    await insertRows(db, dialect, 'variables', ['owner_type', 'owner_id', 'key', 'project_id', 'value'], varRows, { update: { conflict: ['owner_type', 'owner_id', 'key'], columns: ['value'] } });
  }
  if (changes.length) {
    await insertRows(db, dialect, 'changes', ['project_id', 'at', 'actor', 'action', 'object_type', 'source', 'object_key', 'before', 'after', 'request_id'], changes);
  }
}

/** Foreign-key fields of stored rows and the type of object they name (as src/inventory/changes.ts records them). */
const REFERENCES: Record<string, IdType | 'Device'> = { cloudId: 'Cloud', regionId: 'Region', cellId: 'Cell', parentId: 'Device' };

/**
 * Public fields of a row for a change record, exactly as the API's `snapshot` writes them (references as global
 * ids, no internal keys), but synchronous: the chunk already knows the kind of every device it refers to.
 */
function snap(row: object, kinds: Map<number, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'projectId' || k === 'id') continue;
    const ref = REFERENCES[k];
    if (ref && typeof v === 'number') out[k] = toGlobalId(ref === 'Device' ? (kinds.get(v) === 'network_device' ? 'NetworkDevice' : 'Host') : ref, v);
    else if (k === 'vlans' && typeof v === 'string') out[k] = JSON.parse(v);
    else out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/**
 * The JSON text of a change's `after`, with `variables` (key → value already serialised by checkVariables)
 * last: the values are spliced in as they are, not parsed back and serialised again for every host of an
 * import (a twentieth of an import's time). The same text JSON.stringify would write.
 */
function withVariables(after: Record<string, unknown>, variables?: ReadonlyArray<readonly [string, string]>): string {
  const text = JSON.stringify(after);
  if (variables === undefined) return text;
  const vars = `{${variables.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  return text === '{}' ? `{"variables":${vars}}` : `${text.slice(0, -1)},"variables":${vars}}`;
}

function deviceRow(r: Record<string, any>): DeviceRow {
  return Object.assign(new DeviceRow(), {
    id: num(r.id), kind: r.kind, projectId: num(r.project_id), cloudId: num(r.cloud_id), regionId: num(r.region_id),
    cellId: numOrNull(r.cell_id), parentId: numOrNull(r.parent_id), name: r.name, ipAddress: r.ip_address ?? null,
    deviceType: r.device_type, active: boolOf(r.active), note: r.note ?? null, modelName: r.model_name ?? null,
    osVersion: r.os_version ?? null, vlans: r.vlans ?? null, createdAt: toDate(r.created_at), updatedAt: r.updated_at == null ? null : toDate(r.updated_at),
  });
}

/** The device as it is after this chunk, shaped like the API's rows so change records look the same. */
function deviceRowOf(p: DevicePlan, projectId: number, now: Date): DeviceRow {
  const resolveId = (v: unknown) => (v instanceof Ref ? v.id ?? null : (v as number | null));
  const base = p.stored ?? Object.assign(new DeviceRow(), {
    id: p.ref.id, kind: p.rec.kind, projectId, cloudId: p.region.cloud!.id, regionId: p.region.id, cellId: null, parentId: null, name: p.rec.name,
    ipAddress: null, deviceType: '', active: true, note: null, modelName: null, osVersion: null, vlans: null, createdAt: now, updatedAt: null,
  });
  const row = Object.assign(new DeviceRow(), base);
  const c = p.columns;
  if ('cell_id' in c) row.cellId = resolveId(c.cell_id);
  if ('parent_id' in c) row.parentId = resolveId(c.parent_id);
  if ('ip_address' in c) row.ipAddress = c.ip_address as string | null;
  if ('device_type' in c) row.deviceType = c.device_type as string;
  if ('active' in c) row.active = c.active as boolean;
  if ('note' in c) row.note = c.note as string | null;
  if ('model_name' in c) row.modelName = c.model_name as string | null;
  if ('os_version' in c) row.osVersion = c.os_version as string | null;
  if ('vlans' in c) row.vlans = c.vlans as string | null;
  if (p.stored) row.updatedAt = now;
  return row;
}

function containerRow(node: ContainerNode, projectId: number): CloudRow | RegionRow | CellRow {
  const common = { name: node.name, note: node.note, createdAt: node.createdAt == null ? null : toDate(node.createdAt), updatedAt: node.updatedAt == null ? null : toDate(node.updatedAt) };
  if (node.kind === 'cloud') return Object.assign(new CloudRow(), { id: node.id, projectId, ...common });
  if (node.kind === 'region') return Object.assign(new RegionRow(), { id: node.id, projectId, cloudId: node.cloud!.id, ...common });
  return Object.assign(new CellRow(), { id: node.id, projectId, cloudId: node.cloud!.id, regionId: node.region!.id, ...common });
}
