import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { ExternalSource, HostFilter, HostPage, HostRecord, Placement, SourceCapabilities, SourceDeps, SourceHealth } from '../source.js';
import { ALL_HOST_FILTERS, messageOf, pageHosts, sortedLabels } from '../listing.js';
import { parseAnsibleConfig, type AnsibleConfig, type AnsiblePlacementLevel } from './config.js';
import type { ResolvedHost } from './inventory.js';
import { findInventoryFiles, readInventory } from './loader.js';

export { parseAnsibleConfig, type AnsibleConfig } from './config.js';
export { InventoryError } from './inventory.js';

/** The last read: the files' fingerprint and what they gave, hosts or the error. */
interface Loaded {
  fingerprint: string;
  hosts: Map<string, HostRecord> | Error;
}

/**
 * Hosts from Ansible inventory files (INI or YAML, one file or a directory), read-only.
 *
 * A host record: key and name are the inventory hostname; ipAddress is `ansible_host` when that is an IP
 * address, else the inventory hostname when that is one, else null; labels are the host's groups, direct
 * or through children, without `all` and `ungrouped`; attributes are its variables after Ansible's merge
 * (group vars parents first, children over parents, `group_vars/` files over the inventory's, host vars
 * last; see Inventory.resolve); placement comes from the config; deviceType from the config; active is
 * always true.
 *
 * Freshness. With `watch` (the default) every call first stats the inventory's files (no reads) and
 * re-reads them all when any size, mtime or inode changed or a file came or went: a change is visible on
 * the next call, with no watcher to leak and nothing missed on network filesystems where fs.watch is
 * unreliable. Without `watch` the files are read on first use only.
 *
 * Failures. A file that does not parse makes `list` reject and `load` return the Error in every slot, with
 * the file and line in the message (`inventory/web.ini:7: Expected key=value ...`), and `health` DOWN with
 * that message, until the file is fixed. The last good inventory is not served meanwhile: the file on
 * disk is the truth, and serving an older one would hide that it is broken.
 */
export class AnsibleInventorySource implements ExternalSource {
  readonly kind = 'ansible';
  /** Every filter is applied here, in memory. */
  readonly capabilities: SourceCapabilities = { filters: ALL_HOST_FILTERS, readOnly: true };
  readonly name: string;
  private readonly path: string;
  private loaded: Loaded | null = null;
  private refreshing: Promise<Map<string, HostRecord>> | null = null;
  private closed = false;

  /**
   * Builds a source from its sources-file entry. Nothing is read yet: a missing or broken inventory shows
   * as DOWN in `health`, not as a failed start.
   *
   * @param path the entry's place in the file, for messages (`sources[2]`).
   * @throws SourceConfigError naming the field.
   */
  static fromConfig(config: unknown, deps: SourceDeps, path = 'source'): AnsibleInventorySource {
    return new AnsibleInventorySource(parseAnsibleConfig(config, path), deps);
  }

  constructor(
    readonly config: AnsibleConfig,
    private readonly deps: SourceDeps,
  ) {
    this.name = config.name;
    this.path = resolve(config.connection.path);
  }

  async list(filter: HostFilter, page: { limit: number; cursor: string | null }, signal?: AbortSignal): Promise<HostPage> {
    const hosts = await this.current(signal);
    return pageHosts(hosts.values(), filter, page, this.name);
  }

  async load(keys: readonly string[], signal?: AbortSignal): Promise<Array<HostRecord | null | Error>> {
    if (keys.length === 0) return [];
    try {
      const hosts = await this.current(signal);
      return keys.map((k) => hosts.get(k) ?? null);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return keys.map(() => error);
    }
  }

  async health(signal?: AbortSignal): Promise<SourceHealth> {
    const started = performance.now();
    try {
      await this.current(signal);
      return { status: 'UP', lastError: null, latencyMs: performance.now() - started };
    } catch (err) {
      return { status: 'DOWN', lastError: messageOf(err), latencyMs: null };
    }
  }

  /** Forgets the inventory; there is no watcher or timer to stop. */
  async close(): Promise<void> {
    this.closed = true;
    this.loaded = null;
  }

  /** The inventory's hosts, re-read when the files changed; concurrent callers share one read. */
  private current(signal?: AbortSignal): Promise<Map<string, HostRecord>> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: the source is closed`));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (!this.config.connection.watch && this.loaded && !(this.loaded.hosts instanceof Error)) return Promise.resolve(this.loaded.hosts);
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<Map<string, HostRecord>> {
    const files = await findInventoryFiles(this.path);
    if (this.loaded?.fingerprint !== files.fingerprint) {
      const started = performance.now();
      let hosts: Map<string, HostRecord> | Error;
      try {
        const resolved = await readInventory(files, (message) => this.deps.logger.warn({ source: this.name }, message));
        hosts = new Map(resolved.map((h) => [h.name, this.toHost(h)]));
        this.deps.logger.debug({ source: this.name, hosts: hosts.size, ms: Math.round(performance.now() - started) }, 'ansible: read inventory');
      } catch (err) {
        hosts = err instanceof Error ? err : new Error(String(err));
        this.deps.logger.warn({ source: this.name, err: hosts.message }, 'ansible: inventory does not parse');
      }
      this.loaded = { fingerprint: files.fingerprint, hosts };
    }
    if (this.loaded.hosts instanceof Error) throw this.loaded.hosts;
    return this.loaded.hosts;
  }

  private toHost(h: ResolvedHost): HostRecord {
    const ansibleHost = typeof h.vars.ansible_host === 'string' ? h.vars.ansible_host.trim() : undefined;
    const ipAddress = ansibleHost !== undefined ? (isIP(ansibleHost) ? ansibleHost : null) : isIP(h.name) ? h.name : null;
    const placement: Placement = {};
    for (const level of ['cloud', 'region', 'cell'] as const) {
      const value = placeLevel(this.config.placement[level], h);
      if (value !== undefined) placement[level] = value;
    }
    return {
      key: h.name,
      name: h.name,
      ipAddress,
      deviceType: this.config.mapping.deviceType,
      active: true,
      labels: sortedLabels(h.groups),
      attributes: h.vars,
      placement,
    };
  }
}

function placeLevel(level: AnsiblePlacementLevel | undefined, h: ResolvedHost): string | undefined {
  if (level === undefined) return undefined;
  if (typeof level === 'string') return level;
  let found: string | undefined;
  if ('fromGroupPattern' in level) {
    const re = new RegExp(level.fromGroupPattern);
    for (const g of h.groups) {
      const m = re.exec(g);
      if (m) {
        found = m[1] ?? m[0];
        break;
      }
    }
  } else {
    const v = h.vars[level.fromHostVar];
    if (typeof v === 'string' && v.trim() !== '') found = v.trim();
    else if (typeof v === 'number' || typeof v === 'boolean') found = String(v);
  }
  return found === undefined ? undefined : (level.map?.[found] ?? found);
}
