import { num } from '../store/bulk.js';
import type { Runner } from '../store/bulk.js';

/**
 * A reference to a stored object whose id may not be known yet: objects created by a chunk get their id when
 * the chunk's INSERT has run (negative placeholder ids in a dry run, which writes nothing).
 */
export class Ref {
  constructor(public id: number | undefined) {}
}

/** A cloud, region or cell of the project, by name. */
export class ContainerNode extends Ref {
  constructor(
    id: number | undefined,
    readonly kind: 'cloud' | 'region' | 'cell',
    readonly name: string,
    public note: string | null,
    /** The cloud of a region or cell; the region of a cell. */
    readonly cloud: ContainerNode | null,
    readonly region: ContainerNode | null,
    public createdAt: Date | string | null = null,
    public updatedAt: Date | string | null = null,
  ) {
    super(id);
  }
}

const regionKey = (cloud: string, region: string) => `${cloud}\0${region}`;
const cellKey = (cloud: string, region: string, cell: string) => `${cloud}\0${region}\0${cell}`;

/**
 * The project's clouds, regions and cells, held in memory for the whole import: they are few (hundreds, not
 * hundreds of thousands), so resolving a row's hierarchy by names costs no SQL. Loaded with three statements.
 * A chunk's new containers are staged and only become visible to later chunks once the chunk has committed.
 */
export class Hierarchy {
  private readonly clouds = new Map<string, ContainerNode>();
  private readonly regions = new Map<string, ContainerNode>();
  private readonly cells = new Map<string, ContainerNode>();
  private staged: ContainerNode[] = [];

  static async load(db: Runner, projectId: number): Promise<Hierarchy> {
    const h = new Hierarchy();
    const clouds = new Map<number, ContainerNode>();
    const regions = new Map<number, ContainerNode>();
    for (const r of await db.query('SELECT `id`, `name`, `note`, `created_at`, `updated_at` FROM `clouds` WHERE `project_id` = ? ORDER BY `id`', [projectId])) {
      const node = new ContainerNode(num(r.id), 'cloud', r.name, r.note ?? null, null, null, r.created_at, r.updated_at);
      clouds.set(node.id!, node);
      h.add(node);
    }
    for (const r of await db.query('SELECT `id`, `cloud_id`, `name`, `note`, `created_at`, `updated_at` FROM `regions` WHERE `project_id` = ? ORDER BY `id`', [projectId])) {
      const cloud = clouds.get(num(r.cloud_id));
      if (!cloud) continue;
      const node = new ContainerNode(num(r.id), 'region', r.name, r.note ?? null, cloud, null, r.created_at, r.updated_at);
      regions.set(node.id!, node);
      h.add(node);
    }
    for (const r of await db.query('SELECT `id`, `region_id`, `name`, `note`, `created_at`, `updated_at` FROM `cells` WHERE `project_id` = ? ORDER BY `id`', [projectId])) {
      const region = regions.get(num(r.region_id));
      if (!region) continue;
      h.add(new ContainerNode(num(r.id), 'cell', r.name, r.note ?? null, region.cloud, region, r.created_at, r.updated_at));
    }
    return h;
  }

  cloud(name: string): ContainerNode | undefined {
    return this.clouds.get(name);
  }

  region(cloud: string, name: string): ContainerNode | undefined {
    return this.regions.get(regionKey(cloud, name));
  }

  cell(cloud: string, region: string, name: string): ContainerNode | undefined {
    return this.cells.get(cellKey(cloud, region, name));
  }

  /** Every node, clouds first, then regions, then cells (export order). */
  all(): ContainerNode[] {
    return [...this.clouds.values(), ...this.regions.values(), ...this.cells.values()];
  }

  /** Adds a node created by the current chunk; `commit` keeps it, `rollback` forgets it. */
  stage(node: ContainerNode): void {
    this.staged.push(node);
    this.add(node);
  }

  commit(): void {
    this.staged = [];
  }

  rollback(): void {
    for (const node of this.staged) {
      if (node.kind === 'cloud') this.clouds.delete(node.name);
      else if (node.kind === 'region') this.regions.delete(regionKey(node.cloud!.name, node.name));
      else this.cells.delete(cellKey(node.cloud!.name, node.region!.name, node.name));
    }
    this.staged = [];
  }

  private add(node: ContainerNode): void {
    if (node.kind === 'cloud') this.clouds.set(node.name, node);
    else if (node.kind === 'region') this.regions.set(regionKey(node.cloud!.name, node.name), node);
    else this.cells.set(cellKey(node.cloud!.name, node.region!.name, node.name), node);
  }
}
