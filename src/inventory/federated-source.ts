import type { ExternalSource, HostFilter, HostPage, HostRecord, SourceHealth } from '../../sources/source.js';
import type { SourceBlock } from '../config-file.js';
import { SourceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';

/** A host of an external source as the graph serves it (GraphQL type Host, id `Host:<source>:<key>`). */
export class FederatedHost {
  constructor(
    readonly source: string,
    readonly record: HostRecord,
    /** The project whose graph shows this source. */
    readonly projectId: number,
    /** Which wins for variables: our overlay, or the source's attributes. */
    readonly precedence: 'overlay' | 'source',
    /** The source's default placement names. */
    readonly defaults: Partial<Record<'cloud' | 'region' | 'cell', string>>,
  ) {}
}

/** The resolution level of a federated host's own attributes (what `variableOrigins` names as the source). */
export class SourceAttributes {
  constructor(readonly host: FederatedHost) {}
}

interface CacheEntry<T> {
  at: number;
  value: Promise<T>;
}

/** Entries kept per source before the oldest are dropped. */
const MAX_CACHE_ENTRIES = 1000;

/**
 * The gateway's side of an external source: every call runs with the configured timeout and through an
 * optional TTL cache, and its outcome updates the source's health. A failure or timeout becomes a
 * SourceUnavailableError naming the source; it never escapes as anything else.
 */
export class FederatedSource {
  readonly name: string;
  readonly kind: string;
  readonly readOnly = true;
  private health: SourceHealth = { status: 'UP', lastError: null, latencyMs: null };
  private readonly cache = new Map<string, CacheEntry<unknown>>();
  /** Consecutive failed calls; at the breaker's threshold the circuit opens. */
  private failures = 0;
  /** While set and in the future, calls fail at once; after it, one call (the probe) goes through. */
  private openUntil: number | null = null;
  private probing = false;

  constructor(
    readonly source: ExternalSource,
    readonly block: SourceBlock,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** Told of every call's outcome (metrics). */
    private readonly observe?: (source: string, op: string, ms: number, ok: boolean) => void,
  ) {
    this.name = block.name;
    this.kind = source.kind;
  }

  /** Placement names configured as plain strings: where hosts sit when their record does not say. */
  get defaults(): Partial<Record<'cloud' | 'region' | 'cell', string>> {
    const p = (this.block.placement ?? {}) as Record<string, unknown>;
    return Object.fromEntries(['cloud', 'region', 'cell'].filter((k) => typeof p[k] === 'string').map((k) => [k, p[k] as string]));
  }

  get precedence(): 'overlay' | 'source' {
    return this.block.precedence;
  }

  /** Which HostFilter fields the source applies itself. */
  get pushdown(): ReadonlySet<keyof HostFilter> {
    return new Set(this.source.capabilities.filters);
  }

  /** Health as last observed by calls (no I/O). */
  lastHealth(): SourceHealth {
    return { ...this.health };
  }

  /** Probes the source now (bounded by the timeout; not at all while the circuit is open). */
  async probe(): Promise<SourceHealth> {
    if (this.openUntil !== null && this.now() < this.openUntil) return this.lastHealth();
    try {
      const h = await this.call('health', () => '', (signal) => this.source.health(signal), false);
      this.health = h.status === 'UP' ? { ...h, status: this.degraded(h.latencyMs) } : h;
    } catch (err) {
      this.health = { status: 'DOWN', lastError: err instanceof Error ? err.message : String(err), latencyMs: null };
    }
    return this.lastHealth();
  }

  list(filter: HostFilter, page: { limit: number; cursor: string | null }): Promise<HostPage> {
    return this.call('list', () => JSON.stringify([filter, page]), (signal) => this.source.list(filter, page, signal));
  }

  load(keys: readonly string[]): Promise<Array<HostRecord | null | Error>> {
    return this.call('load', () => JSON.stringify([...keys]), (signal) => this.source.load(keys, signal));
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  private degraded(latencyMs: number | null): SourceHealth['status'] {
    return latencyMs !== null && latencyMs > this.block.timeoutMs * 0.8 ? 'DEGRADED' : 'UP';
  }

  private async call<T>(op: string, cacheKey: () => string, run: (signal: AbortSignal) => Promise<T>, cached = true): Promise<T> {
    const useCache = cached && this.block.cacheTtlMs > 0;
    const key = useCache ? `${op}:${cacheKey()}` : '';
    if (useCache) {
      const hit = this.cache.get(key) as CacheEntry<T> | undefined;
      if (hit && this.now() - hit.at < this.block.cacheTtlMs) return hit.value;
    }
    const value = this.timed(op, run);
    if (useCache) {
      this.cache.set(key, { at: this.now(), value });
      if (this.cache.size > MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      value.catch(() => this.cache.delete(key)); // failures are never cached
    }
    return value;
  }

  /**
   * The circuit breaker: closed (calls go through), open (calls fail at once until the cooldown ends),
   * half-open (exactly one call probes the source; success closes the circuit, failure opens it again).
   */
  private admit(): void {
    if (this.openUntil === null) return;
    const breaker = this.block.circuitBreaker;
    if (this.now() < this.openUntil || this.probing) {
      const wait = Math.max(0, Math.ceil(((this.openUntil ?? this.now()) - this.now()) / 1000));
      throw new SourceUnavailableError(this.name, `not called after ${breaker.failures} consecutive failures (${this.health.lastError ?? 'unknown'}); next try in ${wait} s`);
    }
    this.probing = true;
  }

  private settle(ok: boolean): void {
    this.probing = false;
    if (ok) {
      this.failures = 0;
      this.openUntil = null;
      return;
    }
    this.failures += 1;
    const breaker = this.block.circuitBreaker;
    if (this.failures >= breaker.failures || this.openUntil !== null) this.openUntil = this.now() + breaker.cooldownMs;
  }

  private async timed<T>(op: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.admit();
    const controller = new AbortController();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${this.block.timeoutMs} ms`));
      }, this.block.timeoutMs);
    });
    try {
      const result = await Promise.race([run(controller.signal), timeout]);
      const latencyMs = performance.now() - started;
      this.observe?.(this.name, op, latencyMs, true);
      this.settle(true);
      if (op !== 'health') this.health = { status: this.degraded(latencyMs), lastError: null, latencyMs };
      return result;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.observe?.(this.name, op, performance.now() - started, false);
      this.settle(false);
      this.health = { status: 'DOWN', lastError: reason, latencyMs: null };
      this.logger.warn({ source: this.name, op, err: reason }, 'source call failed');
      throw new SourceUnavailableError(this.name, reason, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}
