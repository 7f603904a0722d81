import type { ExternalSource, HostFilter, HostPage, HostRecord, SourceCapabilities, SourceDeps, SourceHealth } from '../source.js';
import { OneOpsClient, OneOpsError, type Ci } from './client.js';
import { SourceConfigError } from '../config-errors.js';
import { parseOneOpsConfig, type OneOpsConfig } from './config.js';
import { ALL_HOST_FILTERS, messageOf, pageHosts } from '../listing.js';
import { ciToHost, classMatches, isHostCi } from './mapping.js';

export { parseOneOpsConfig, type OneOpsConfig } from './config.js';
export { OneOpsClient, OneOpsError } from './client.js';

/** A consistent view of the namespace's hosts, fetched at `at` (deps.now()). */
interface Snapshot {
  at: number;
  hosts: HostRecord[];
}

/**
 * Hosts from a OneOps CMS: the CIs of the configured classes under a namespace, read over the CMS REST
 * adapter, read-only.
 *
 * Cost. OneOps cannot page, so `list` fetches the whole namespace (one streamed `GET /cm/simple/cis` per
 * class, plus one `GET /cm/simple/relations` per configured relation), filters and pages in memory, and
 * keeps that snapshot for `connection.snapshotTtlMs` (default 10 s) so walking the pages of one listing
 * costs one fetch; concurrent callers share one fetch in flight. `load` never uses the snapshot: one
 * `GET /cm/simple/cis/{id}` for a single key, else one `POST /cm/simple/cis/list` per `batchSize` keys,
 * plus one relations call per loaded CI per configured relation. `health` is one `/cm/simple/cis/count`.
 *
 * Failures. `list` rejects with a OneOpsError naming the request; `load` puts that Error in the slot of
 * every key of the failed batch (a key that cannot be a ciId, or names a CI of another class or
 * namespace, is simply null); nothing here retries or caches a failure.
 */
export class OneOpsSource implements ExternalSource {
  readonly kind = 'oneops';
  /** Every filter is applied here, in memory, after the full fetch. */
  readonly capabilities: SourceCapabilities = { filters: ALL_HOST_FILTERS, readOnly: true };
  readonly name: string;
  private snapshot: Snapshot | null = null;
  private inFlight: Promise<Snapshot> | null = null;

  /**
   * Builds a source from its sources-file entry, resolving the credentials' environment variables now so
   * a missing password stops start-up rather than the first request.
   *
   * @param path the entry's place in the file, for messages (`sources[1]`).
   * @throws SourceConfigError naming the field.
   */
  static fromConfig(config: unknown, deps: SourceDeps, path = 'source'): OneOpsSource {
    const parsed = parseOneOpsConfig(config, path);
    let auth: { username: string; password: string } | undefined;
    if (parsed.credentials) {
      const { usernameEnv, passwordEnv } = parsed.credentials;
      const missing = [
        ...(deps.env[usernameEnv] ? [] : [`${path}.credentials.usernameEnv: environment variable ${usernameEnv} is not set`]),
        ...(deps.env[passwordEnv] ? [] : [`${path}.credentials.passwordEnv: environment variable ${passwordEnv} is not set`]),
      ];
      if (missing.length > 0) throw new SourceConfigError(missing.join('\n'));
      auth = { username: deps.env[usernameEnv]!, password: deps.env[passwordEnv]! };
    }
    const { connection } = parsed;
    const client = new OneOpsClient({
      name: parsed.name,
      baseUrl: connection.url,
      fetch: deps.fetch,
      auth,
      scope: connection.scope,
      user: connection.user,
      timeoutMs: connection.timeoutMs ?? parsed.timeoutMs ?? 10_000,
    });
    return new OneOpsSource(parsed, client, deps);
  }

  constructor(
    readonly config: OneOpsConfig,
    private readonly client: OneOpsClient,
    private readonly deps: SourceDeps,
  ) {
    this.name = config.name;
  }

  async list(filter: HostFilter, page: { limit: number; cursor: string | null }, signal?: AbortSignal): Promise<HostPage> {
    const snapshot = await withSignal(this.currentSnapshot(), signal);
    return pageHosts(snapshot.hosts, filter, page, this.name);
  }

  async load(keys: readonly string[], signal?: AbortSignal): Promise<Array<HostRecord | null | Error>> {
    const ids = [...new Set(keys.filter(isCiId).map(Number))];
    const found = new Map<number, HostRecord | Error>();
    const { batchSize, concurrency } = this.config.connection;
    const cis = new Map<number, Ci | Error>();
    if (ids.length === 1) {
      await this.getOne(ids[0]!, cis, signal);
    } else {
      const batches = chunk(ids, batchSize);
      await eachLimited(batches, concurrency, async (batch) => {
        try {
          for (const ci of await this.client.getCisByIds(batch, this.altNsTag(), signal)) cis.set(ci.ciId, ci);
        } catch (err) {
          // X-Cms-Scope: one CI of the batch outside the scope makes OneOps refuse the whole batch (403).
          // Ask CI by CI so the others still arrive and the outsider reads as missing.
          if (err instanceof OneOpsError && err.status === 403) await eachLimited(batch, concurrency, (id) => this.getOne(id, cis, signal));
          else for (const id of batch) cis.set(id, err as Error);
        }
      });
    }
    const hostCis = [...cis.values()].filter((c): c is Ci => !(c instanceof Error) && isHostCi(c, this.config));
    const related = await this.relationsOf(hostCis, signal);
    for (const [id, ci] of cis) {
      if (ci instanceof Error) found.set(id, ci);
      else if (!isHostCi(ci, this.config)) continue;
      else {
        const rel = related.get(id);
        found.set(id, rel instanceof Error ? rel : ciToHost(ci, this.config, rel));
      }
    }
    return keys.map((k) => (isCiId(k) ? found.get(Number(k)) ?? null : null));
  }

  async health(signal?: AbortSignal): Promise<SourceHealth> {
    const started = performance.now();
    try {
      const { nsPath, recursive, classes } = this.config.connection;
      await this.client.countCis({ nsPath, ciClassName: classes[0], recursive: recursive || undefined }, signal);
      return { status: 'UP', lastError: null, latencyMs: performance.now() - started };
    } catch (err) {
      return { status: 'DOWN', lastError: messageOf(err), latencyMs: null };
    }
  }

  async close(): Promise<void> {
    this.snapshot = null;
  }

  /** The snapshot if still fresh, else the fetch in flight, else a new fetch. Failures are not kept. */
  private currentSnapshot(): Promise<Snapshot> {
    const ttl = this.config.connection.snapshotTtlMs;
    if (this.snapshot && ttl > 0 && this.deps.now() - this.snapshot.at < ttl) return Promise.resolve(this.snapshot);
    this.inFlight ??= this.fetchAll().then(
      (s) => {
        this.inFlight = null;
        this.snapshot = ttl > 0 ? s : null;
        return s;
      },
      (err: unknown) => {
        this.inFlight = null;
        throw err;
      },
    );
    return this.inFlight;
  }

  /**
   * Fetches every host: the relations first (so placement may use them), then each class's CIs, streamed
   * and mapped one by one. A CI listed under two configured classes (short and full name) appears once.
   */
  private async fetchAll(): Promise<Snapshot> {
    const at = this.deps.now();
    const started = performance.now();
    const { nsPath, recursive, classes } = this.config.connection;
    const related = new Map<number, Record<string, string[]>>();
    for (const rel of this.config.relations) {
      const from = rel.direction === 'from';
      const relations = await this.client.getRelations({
        nsPath,
        recursive: recursive || undefined,
        relationName: rel.relationName,
        ...(from ? { includeToCi: true } : { includeFromCi: true }),
      });
      for (const r of relations) addRelated(related, from ? r.fromCiId : r.toCiId, rel.attribute, (from ? r.toCi : r.fromCi)?.ciName);
    }
    const hosts = new Map<string, HostRecord>();
    for (const ciClassName of classes) {
      await this.client.streamCis({ nsPath, ciClassName, recursive: recursive || undefined, includeAltNs: this.altNsTag() }, (ci) => {
        // The server filters by namespace and class already; this guards against a broader answer.
        if (classMatches(ciClassName, ci.ciClassName)) hosts.set(String(ci.ciId), ciToHost(ci, this.config, related.get(ci.ciId)));
      });
    }
    this.deps.logger.debug({ source: this.name, hosts: hosts.size, ms: Math.round(performance.now() - started) }, 'oneops: fetched namespace');
    return { at, hosts: [...hosts.values()] };
  }

  /** GET one CI into `into`: null-equivalent (absent) when missing or outside the scope, the Error otherwise. */
  private async getOne(id: number, into: Map<number, Ci | Error>, signal?: AbortSignal): Promise<void> {
    try {
      const ci = await this.client.getCi(id, { includeAltNs: this.altNsTag() }, signal);
      if (ci) into.set(id, ci);
    } catch (err) {
      if (!(err instanceof OneOpsError && err.status === 403)) into.set(id, err as Error);
    }
  }

  /** Configured relations of each CI by ciId, one call per CI per relation; an Error where a call failed. */
  private async relationsOf(cis: Ci[], signal?: AbortSignal): Promise<Map<number, Record<string, string[]> | Error>> {
    const out = new Map<number, Record<string, string[]> | Error>();
    if (this.config.relations.length === 0) return out;
    await eachLimited(cis, this.config.connection.concurrency, async (ci) => {
      const names: Record<string, string[]> = {};
      try {
        for (const rel of this.config.relations) {
          const relations = await this.client.getRelations({ ciId: ci.ciId, direction: rel.direction, relationName: rel.relationName }, signal);
          names[rel.attribute] = relations.flatMap((r) => (rel.direction === 'from' ? r.toCi : r.fromCi)?.ciName ?? []);
        }
        out.set(ci.ciId, names);
      } catch (err) {
        out.set(ci.ciId, err as Error);
      }
    });
    return out;
  }

  /** `includeAltNs=*` asks for every tag; only worth it when tags become labels. */
  private altNsTag(): string | undefined {
    return this.config.mapping.labelsFromAltNs ? '*' : undefined;
  }
}

function addRelated(into: Map<number, Record<string, string[]>>, ciId: number, attribute: string, name: string | undefined): void {
  const entry = into.get(ciId) ?? {};
  entry[attribute] ??= [];
  if (name !== undefined) entry[attribute].push(name);
  into.set(ciId, entry);
}

/** A key that can name a CI: a ciId in decimal, no sign, no leading zeros, within Number's exact range. */
function isCiId(key: string): boolean {
  return /^[1-9]\d{0,15}$/.test(key) && Number.isSafeInteger(Number(key));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Resolves as `promise` does, or rejects as soon as `signal` aborts (the shared work carries on for others). */
function withSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // the shared work may still fail; nobody here is waiting for it
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
