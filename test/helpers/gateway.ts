import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { createTestDatabase, type StoreKind } from './stores.js';

/** One GraphQL error as the gateway formats it. */
export interface GqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The HTTP status and parsed JSON body of one POST /graphql. */
export interface GqlResponse {
  status: number;
  body: { data?: any; errors?: GqlError[]; extensions?: any };
}

/** Per-request options: which key to send (null: none), the X-Craton-Project header, extra headers. */
export interface GqlOptions {
  /** API key for `Authorization: Bearer`. @default the root key; null sends no Authorization header. */
  key?: string | null;
  /** Sends `X-Craton-Project: <project global id>`. */
  project?: string;
  headers?: Record<string, string>;
}

/** A gateway started on a fresh store, and a client for it. */
export interface TestGateway {
  /** Base URL, e.g. http://127.0.0.1:43121 (no trailing slash). */
  url: string;
  store: StoreKind;
  /** The root key: CRATON_BOOTSTRAP_KEY (random unless opts.env overrides it) or the generated one. */
  rootKey: string;
  /** The CRATON_DATABASE_URL the gateway was started with. */
  databaseUrl: string;
  gateway: Gateway;
  /** POST /graphql; never throws on GraphQL errors (see ok). */
  gql(query: string, variables?: Record<string, unknown>, opts?: GqlOptions): Promise<GqlResponse>;
  /** Like gql, but throws a readable error when the answer has errors; returns `data`. */
  ok(query: string, variables?: Record<string, unknown>, opts?: GqlOptions): Promise<any>;
  /** Runs a query with `x-craton-debug-sql: 1` (must succeed) and returns the statement count the server reported. */
  sqlCount(
    query: string,
    variables?: Record<string, unknown>,
    opts?: GqlOptions,
  ): Promise<{ data: any; sqlStatements: number }>;
  /** The same gateway seen by another caller: gql/ok/sqlCount default to these options (per-call options still win). */
  as(defaults: GqlOptions): TestGateway;
  /** Stops the gateway and removes the store (temp dir or database). Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Removes the store when stop() left it (started with `keepStore`); a no-op otherwise, and for a store
   * passed in as `databaseUrl` (its owner drops it). Safe to call twice.
   */
  dropStore(): Promise<void>;
}

/** Options of {@link startGateway}; every one is optional and the defaults are the original behaviour. */
export interface StartOptions {
  /** Passed to loadConfig last, overriding the defaults. */
  env?: Record<string, string>;
  /**
   * Start on this existing store (the `databaseUrl` of an earlier TestGateway started with `keepStore`, or
   * one from {@link createTestStore}) instead of a fresh one; neither stop() nor dropStore() removes it.
   * To act as the same root again, pass `env: { CRATON_BOOTSTRAP_KEY: earlier.rootKey }`.
   */
  databaseUrl?: string;
  /** stop() stops the gateway but keeps the store (for a restart on it); dropStore() removes it. */
  keepStore?: boolean;
}

/** A store for tests: its CRATON_DATABASE_URL, and drop() to remove it (safe to call twice). */
export interface TestStore {
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty store the way startGateway does: sqlite in a temp dir, or a new MariaDB database. */
export async function createTestStore(store: StoreKind): Promise<TestStore> {
  const cleanups: Array<() => Promise<void>> = [];
  const drop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  };
  try {
    return { url: await createStore(store, cleanups), drop };
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
}

/** The first error's extensions.code, or undefined when the response has no errors. */
export function codeOf(res: GqlResponse): string | undefined {
  return res.body.errors?.[0]?.extensions?.code;
}

/** Every error's extensions.code, in order. */
export function codesOf(res: GqlResponse): Array<string | undefined> {
  return (res.body.errors ?? []).map((e) => e.extensions?.code);
}

/** A short, readable dump of a response for assertion messages. */
export function describeResponse(res: GqlResponse): string {
  return `HTTP ${res.status} ${JSON.stringify(res.body, null, 2)}`;
}

/** A random printable key of 40 characters, valid for CRATON_BOOTSTRAP_KEY. */
export function randomKey(): string {
  return randomBytes(30).toString('base64url');
}

/**
 * Starts a real gateway on a fresh store: sqlite in a new temp dir, or (store 'mysql') a new database
 * `craton_t_<hex>` on CRATON_TEST_MYSQL_URL's server, dropped again by stop(). It listens on 127.0.0.1 and a
 * free port, logs nothing, and has a random 40-character CRATON_BOOTSTRAP_KEY as root key. `opts.env` is
 * passed to loadConfig last, so it overrides any of these (CRATON_BOOTSTRAP_KEY: '' lets the gateway generate one).
 * `opts.keepStore` and `opts.databaseUrl` restart a gateway on the same store (see {@link StartOptions}).
 */
export async function startGateway(store: StoreKind, opts: StartOptions = {}): Promise<TestGateway> {
  if (typeof createGateway !== 'function') {
    throw new Error('src/server.ts does not export an implemented createGateway yet');
  }
  const cleanups: Array<() => Promise<void>> = [];
  /** The store's own cleanups, run by stop() unless keepStore, else by dropStore(). */
  const storeCleanups: Array<() => Promise<void>> = [];
  const run = (list: Array<() => Promise<void>>) => async () => {
    for (const fn of list.splice(0).reverse()) {
      await fn().catch((err) => console.warn('test gateway cleanup failed:', err));
    }
  };
  const dropStore = run(storeCleanups);
  const stopGateway = run(cleanups);
  const runCleanups = opts.keepStore
    ? stopGateway
    : async () => {
        await stopGateway();
        await dropStore();
      };
  try {
    const databaseUrl = opts.databaseUrl ?? (await createStore(store, storeCleanups));
    const bootstrapKey = randomKey();
    const config = loadConfig({
      CRATON_DATABASE_URL: databaseUrl,
      CRATON_BOOTSTRAP_KEY: bootstrapKey,
      PORT: '0',
      HOST: '127.0.0.1',
      CRATON_LOG_LEVEL: 'silent',
      ...opts.env,
    });
    const gateway = await createGateway(config);
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) {
        stopped = true;
        await gateway.stop();
      }
    });
    const url = (await gateway.listen()).replace(/\/+$/, '');
    const rootKey = config.bootstrapKey ?? gateway.bootstrap?.key;
    if (!rootKey) throw new Error('the gateway started without a bootstrap key and reported none');
    return buildClient({ url, store, rootKey, databaseUrl, gateway, stop: runCleanups, dropStore });
  } catch (err) {
    await stopGateway();
    await dropStore();
    throw err;
  }
}

async function createStore(store: StoreKind, cleanups: Array<() => Promise<void>>): Promise<string> {
  const db = await createTestDatabase(store);
  cleanups.push(db.drop);
  return db.url;
}

function buildClient(parts: {
  url: string;
  store: StoreKind;
  rootKey: string;
  databaseUrl: string;
  gateway: Gateway;
  stop: () => Promise<void>;
  dropStore: () => Promise<void>;
}): TestGateway {
  const { url, rootKey } = parts;

  async function gql(query: string, variables?: Record<string, unknown>, opts: GqlOptions = {}): Promise<GqlResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    const key = opts.key === undefined ? rootKey : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (opts.project !== undefined) headers['x-craton-project'] = opts.project;
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables: variables ?? {} }),
    });
    const text = await res.text();
    let body: GqlResponse['body'];
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`POST /graphql answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
    }
    return { status: res.status, body };
  }

  async function ok(query: string, variables?: Record<string, unknown>, opts?: GqlOptions): Promise<any> {
    const res = await gql(query, variables, opts);
    if (res.body.errors?.length || res.body.data == null) {
      throw new Error(
        `GraphQL request failed: ${describeResponse(res)}\nquery: ${query.trim().slice(0, 400)}\n` +
          `variables: ${JSON.stringify(variables ?? {}).slice(0, 400)}`,
      );
    }
    return res.body.data;
  }

  async function sqlCount(query: string, variables?: Record<string, unknown>, opts: GqlOptions = {}) {
    const res = await gql(query, variables, { ...opts, headers: { ...opts.headers, 'x-craton-debug-sql': '1' } });
    if (res.body.errors?.length || res.body.data == null) {
      throw new Error(`GraphQL request failed: ${describeResponse(res)}`);
    }
    const sqlStatements = res.body.extensions?.sqlStatements;
    if (typeof sqlStatements !== 'number') {
      throw new Error(
        `expected extensions.sqlStatements (a number) with header x-craton-debug-sql: 1, got ${JSON.stringify(res.body.extensions)}`,
      );
    }
    return { data: res.body.data, sqlStatements };
  }

  const base = { ...parts, gql, ok, sqlCount };
  return withDefaults(base, {});
}

function withDefaults(
  base: Omit<TestGateway, 'as'>,
  defaults: GqlOptions,
): TestGateway {
  const merge = (opts: GqlOptions = {}): GqlOptions => ({
    ...defaults,
    ...opts,
    headers: { ...defaults.headers, ...opts.headers },
  });
  return {
    ...base,
    gql: (q, v, o) => base.gql(q, v, merge(o)),
    ok: (q, v, o) => base.ok(q, v, merge(o)),
    sqlCount: (q, v, o) => base.sqlCount(q, v, merge(o)),
    as: (more) => withDefaults(base, merge(more)),
  };
}
