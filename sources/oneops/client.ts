import { JsonStreamError, parseJsonArray } from './json-stream.js';

// A small client of the OneOps CMS REST adapter (`…/adapter/rest`), read side only, over an injected
// fetch. It knows the API's habits: epoch-millisecond dates, a 400 (errorCode 1006) for a CI id that does
// not exist, error bodies that are Gson `{code, errorCode, message}` without a JSON content type, success
// bodies such as `{"deleted"}` that are not JSON at all, and lists that come whole, never paged.

/** A CI as `/cm/simple/cis` returns it, dates decoded. Every attribute value is a string. */
export interface Ci {
  ciId: number;
  ciName: string;
  ciClassName: string;
  nsPath: string;
  impl: string | null;
  ciGoid: string | null;
  ciState: string | null;
  comments: string | null;
  createdBy: string | null;
  updatedBy: string | null;
  created: Date | null;
  updated: Date | null;
  ciAttributes: Record<string, string>;
  /** Alternate namespaces by tag; filled only when asked for with `includeAltNs`. */
  altNs: Record<string, string[]>;
}

/** A relation as `/cm/simple/relations` returns it, with the embedded CIs the query asked for. */
export interface Relation {
  ciRelationId: number;
  relationName: string;
  nsPath: string;
  fromCiId: number;
  toCiId: number;
  fromCi: Ci | null;
  toCi: Ci | null;
}

/** A failed call: the HTTP status and OneOps errorCode when the server answered, neither when it did not. */
export class OneOpsError extends Error {
  override name = 'OneOpsError';
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The OneOps errorCode for "There is no ci with this id" (CmsError.CMS_NO_CI_WITH_GIVEN_ID_ERROR). */
export const NO_CI_WITH_GIVEN_ID = 1006;

export interface OneOpsClientOptions {
  /** The source's name, first word of every error message. */
  name: string;
  /** `http://cms:8080/adapter/rest`, without a trailing slash. */
  baseUrl: string;
  fetch: typeof fetch;
  /** HTTP Basic credentials; the adapter's default is permitAll, so often none. */
  auth?: { username: string; password: string };
  /** `X-Cms-Scope`: the server refuses (403 "bad scope") anything outside this nsPath prefix. */
  scope?: string;
  /** `X-Cms-User`. */
  user?: string;
  timeoutMs: number;
}

type Query = Record<string, string | number | boolean | undefined>;

export class OneOpsClient {
  private readonly headers: Record<string, string>;

  constructor(private readonly options: OneOpsClientOptions) {
    this.headers = { accept: 'application/json' };
    if (options.auth) {
      const token = Buffer.from(`${options.auth.username}:${options.auth.password}`, 'utf8').toString('base64');
      this.headers.authorization = `Basic ${token}`;
    }
    if (options.scope) this.headers['x-cms-scope'] = options.scope;
    if (options.user) this.headers['x-cms-user'] = options.user;
  }

  /**
   * Streams `GET /cm/simple/cis`, calling `onCi` for each CI as it is parsed; resolves with how many there
   * were. One request whatever the size: the server does not page.
   */
  async streamCis(
    query: { nsPath: string; ciClassName: string; recursive?: boolean; includeAltNs?: string },
    onCi: (ci: Ci) => void,
    signal?: AbortSignal,
  ): Promise<number> {
    const path = '/cm/simple/cis';
    return this.call('GET', path, { query }, signal, async (res) => {
      if (!res.body) throw this.error('GET', path, 'the response has no body');
      let n = 0;
      for await (const element of parseJsonArray(res.body)) {
        onCi(toCi(element, () => `${this.options.name}: GET ${path} element ${n}`));
        n++;
      }
      return n;
    });
  }

  /** `GET /cm/simple/cis/{id}`; null when OneOps answers 400 with errorCode 1006 (its "not found"). */
  async getCi(ciId: number, query: { includeAltNs?: string } = {}, signal?: AbortSignal): Promise<Ci | null> {
    const path = `/cm/simple/cis/${ciId}`;
    try {
      return toCi(await this.json('GET', path, { query }, signal), () => `${this.options.name}: GET ${path}`);
    } catch (err) {
      if (err instanceof OneOpsError && err.status === 400 && err.errorCode === NO_CI_WITH_GIVEN_ID) return null;
      throw err;
    }
  }

  /** `POST /cm/simple/cis/list`: the CIs among `ids` that exist (missing ids are simply absent). */
  async getCisByIds(ids: readonly number[], includeAltNs: string | undefined, signal?: AbortSignal): Promise<Ci[]> {
    const path = '/cm/simple/cis/list';
    const body = await this.json('POST', path, { body: { ids, ...(includeAltNs ? { includeAltNs } : {}) } }, signal);
    return asArray(body, path, this.options.name).map((e, i) => toCi(e, () => `${this.options.name}: POST ${path} element ${i}`));
  }

  /** `GET /cm/simple/cis/count`: `{"count": N}`. Cheap; used as the health probe. */
  async countCis(query: { nsPath: string; ciClassName?: string; recursive?: boolean }, signal?: AbortSignal): Promise<number> {
    const body = await this.json('GET', '/cm/simple/cis/count', { query }, signal);
    const count = (body as { count?: unknown } | null)?.count;
    if (typeof count !== 'number') throw this.error('GET', '/cm/simple/cis/count', `expected {"count": N}, got ${preview(JSON.stringify(body))}`);
    return count;
  }

  /**
   * `GET /cm/simple/relations`. With `ciId` + `direction` the server always embeds the far-side CI; with
   * `nsPath`, only when `includeFromCi` / `includeToCi` are set.
   */
  async getRelations(query: Query, signal?: AbortSignal): Promise<Relation[]> {
    const path = '/cm/simple/relations';
    const body = await this.json('GET', path, { query }, signal);
    return asArray(body, path, this.options.name).map((e, i) => toRelation(e, () => `${this.options.name}: GET ${path} element ${i}`));
  }

  /**
   * Any call, for what the typed methods do not cover. The body is parsed as JSON when it is JSON and
   * returned as text otherwise: `DELETE /cm/simple/cis/{id}` answers the literal `{"deleted"}`.
   */
  async request(method: string, path: string, init: { query?: Query; body?: unknown } = {}, signal?: AbortSignal): Promise<unknown> {
    return this.call(method, path, init, signal, async (res) => parseLenient(await res.text()));
  }

  private async json(method: string, path: string, init: { query?: Query; body?: unknown }, signal?: AbortSignal): Promise<unknown> {
    return this.call(method, path, init, signal, async (res) => {
      const text = await res.text();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw this.error(method, path, `expected JSON, got ${preview(text)}`);
      }
    });
  }

  /**
   * Sends one request with the configured headers and timeout (which covers reading the body in `read`),
   * turns a non-2xx answer into a OneOpsError carrying OneOps's errorCode, and names the request in every
   * failure.
   */
  private async call<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown },
    signal: AbortSignal | undefined,
    read: (res: Response) => Promise<T>,
  ): Promise<T> {
    const url = new URL(this.options.baseUrl + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers = init.body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    let answered = false;
    try {
      const res = await this.options.fetch(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: combined,
      });
      if (!res.ok) {
        const text = await res.text();
        const detail = parseLenient(text) as { errorCode?: unknown; message?: unknown } | string;
        const errorCode = typeof detail === 'object' && typeof detail?.errorCode === 'number' ? detail.errorCode : undefined;
        const message = typeof detail === 'object' && typeof detail?.message === 'string' ? detail.message : preview(text.replace(/<[^>]*>/g, ' '));
        throw new OneOpsError(
          `${this.options.name}: ${method} ${path} answered ${res.status}${errorCode === undefined ? '' : ` (errorCode ${errorCode})`}: ${message}`,
          res.status,
          errorCode,
        );
      }
      answered = true;
      return await read(res);
    } catch (err) {
      if (err instanceof OneOpsError) throw err;
      if (timeout.aborted && !signal?.aborted) {
        throw this.error(method, path, `timed out after ${this.options.timeoutMs} ms`, err);
      }
      if (signal?.aborted) throw this.error(method, path, 'aborted by the caller', err);
      if (err instanceof JsonStreamError) throw this.error(method, path, `invalid response: ${err.message}`, err);
      if (answered) throw this.error(method, path, `reading the response failed: ${(err as Error).message}`, err);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw this.error(method, path, `cannot reach ${this.options.baseUrl}: ${why}`, err);
    }
  }

  private error(method: string, path: string, what: string, cause?: unknown): OneOpsError {
    return new OneOpsError(`${this.options.name}: ${method} ${path}: ${what}`, undefined, undefined, { cause });
  }
}

/** JSON when it parses, the text otherwise (`{"deleted"}`, `{"updated"}`, an HTML error page). */
function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}

function asArray(body: unknown, path: string, name: string): unknown[] {
  if (!Array.isArray(body)) throw new OneOpsError(`${name}: ${path}: expected a JSON array, got ${preview(JSON.stringify(body) ?? '')}`);
  return body;
}

/** Jackson writes java.util.Date as epoch milliseconds; null stays null. */
export function epochToDate(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return new Date(Number(value));
  return null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Checks the fields the adapter relies on and decodes dates; `where` names the element in errors. */
export function toCi(value: unknown, where: () => string): Ci {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.ciId !== 'number' || typeof v.ciName !== 'string' || typeof v.ciClassName !== 'string' || typeof v.nsPath !== 'string') {
    throw new OneOpsError(`${where()}: not a CI (needs numeric ciId and string ciName, ciClassName, nsPath)`);
  }
  const altNs: Record<string, string[]> = {};
  if (v.altNs && typeof v.altNs === 'object') {
    for (const [tag, paths] of Object.entries(v.altNs)) altNs[tag] = Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : [];
  }
  return {
    ciId: v.ciId,
    ciName: v.ciName,
    ciClassName: v.ciClassName,
    nsPath: v.nsPath,
    impl: str(v.impl),
    ciGoid: str(v.ciGoid),
    ciState: str(v.ciState),
    comments: str(v.comments),
    createdBy: str(v.createdBy),
    updatedBy: str(v.updatedBy),
    created: epochToDate(v.created),
    updated: epochToDate(v.updated),
    ciAttributes: stringRecord(v.ciAttributes),
    altNs,
  };
}

function toRelation(value: unknown, where: () => string): Relation {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.ciRelationId !== 'number' || typeof v.fromCiId !== 'number' || typeof v.toCiId !== 'number') {
    throw new OneOpsError(`${where()}: not a relation (needs numeric ciRelationId, fromCiId, toCiId)`);
  }
  return {
    ciRelationId: v.ciRelationId,
    relationName: str(v.relationName) ?? '',
    nsPath: str(v.nsPath) ?? '',
    fromCiId: v.fromCiId,
    toCiId: v.toCiId,
    fromCi: v.fromCi ? toCi(v.fromCi, () => `${where()} fromCi`) : null,
    toCi: v.toCi ? toCi(v.toCi, () => `${where()} toCi`) : null,
  };
}
