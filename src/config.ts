import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The folder holding package.json, schema/ and the default ./data store, from src/ or dist/src/. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Craton project root (no package.json above src/)');
    dir = up;
  }
  return dir;
})();

/** Where the store lives and which driver speaks to it. */
export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; url: string };

/** The whole process configuration, validated once at start-up. */
export interface Config {
  /** TCP port of the gateway. @default 4000 */
  port: number;
  /** Interface to bind. @default '0.0.0.0' */
  host: string;
  store: StoreConfig;
  /** A known root key for a fresh store (automation); otherwise one is generated and printed once. */
  bootstrapKey?: string;
  /** Redis for cross-replica events; in-process pub/sub when absent. */
  redisUrl?: string;
  /** YAML file with sources and workflow plugins. */
  configFile?: string;
  /** pino level. @default 'info' */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** GraphQL introspection. @default true */
  introspection: boolean;
  /** Largest accepted request body in bytes. @default 1 MiB */
  maxBodyBytes: number;
  /** Largest JSON value of one variable, in bytes once serialised. @default 64 KiB */
  maxVariableBytes: number;
  /** Deepest accepted query. @default 15 */
  maxQueryDepth: number;
  /** Highest estimated query cost (fields × page sizes). @default 250000 */
  maxQueryCost: number;
  /** Most aliased fields in one operation. @default 500 */
  maxAliases: number;
  /** Report SQL statement counts in `extensions.sqlStatements` when the request asks (header `x-craton-debug-sql: 1`). @default true */
  exposeSqlCount: boolean;
  /**
   * Count the SQL statements of every HTTP operation, for the operation log line and the
   * `craton_sql_statements_per_request` metric. Off, only requests sending `x-craton-debug-sql: 1` are
   * counted: counting costs about a fifth of the throughput of small queries on Node 20. @default false
   */
  countSql: boolean;
  /** Serve Prometheus metrics on `GET /metrics` (404 when off). @default true */
  metrics: boolean;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Serve the GraphiQL IDE on `GET /graphql` to browsers (`Accept: text/html`). @default true */
  graphiql: boolean;
  /**
   * How long a workflow run stays owned by a gateway that stops renewing it (a crashed one) before another
   * takes it over, ms; renewals every third of it. @default 30000
   */
  workflowLeaseMs: number;
}

/** Thrown when the environment does not describe a runnable gateway; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Turns a `CRATON_DATABASE_URL` into a store: `mysql://user:pass@host:3306/db` (or `mariadb://`),
 * `sqlite:PATH`, or nothing for the embedded default `./data/craton.sqlite`.
 */
export function parseDatabaseUrl(url: string | undefined): StoreConfig {
  if (!url) return { kind: 'sqlite', path: join(projectRoot, 'data', 'craton.sqlite') };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new ConfigError(`CRATON_DATABASE_URL: 'sqlite:' needs a file path (or :memory:), got '${url}'`);
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`CRATON_DATABASE_URL: not a valid URL: '${redact(url)}'`);
    }
    if (!parsed.pathname || parsed.pathname === '/') {
      throw new ConfigError(`CRATON_DATABASE_URL: name the database, e.g. mysql://user:pass@host:3306/craton (got '${redact(url)}')`);
    }
    return { kind: 'mysql', url };
  }
  throw new ConfigError(`CRATON_DATABASE_URL: expected mysql://…, mariadb://… or sqlite:PATH, got '${redact(url)}'`);
}

/** Hides the password of a database URL for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const envSchema = z.object({
  PORT: int(0, 65535).optional(),
  HOST: z.string().min(1).optional(),
  CRATON_DATABASE_URL: z.string().optional(),
  CRATON_BOOTSTRAP_KEY: z
    .string()
    .min(20, 'must be at least 20 characters (it is a root credential)')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  REDIS_URL: z.string().url().optional(),
  CRATON_CONFIG: z.string().optional(),
  CRATON_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  CRATON_INTROSPECTION: bool.optional(),
  CRATON_MAX_BODY_BYTES: int(1024, 1024 ** 3).optional(),
  CRATON_MAX_VARIABLE_BYTES: int(16, 64 * 1024 ** 2).optional(),
  CRATON_MAX_QUERY_DEPTH: int(2, 100).optional(),
  CRATON_MAX_QUERY_COST: int(100, 100_000_000).optional(),
  CRATON_MAX_ALIASES: int(1, 100_000).optional(),
  CRATON_EXPOSE_SQL_COUNT: bool.optional(),
  CRATON_COUNT_SQL: bool.optional(),
  CRATON_METRICS: bool.optional(),
  CRATON_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  CRATON_GRAPHIQL: bool.optional(),
  CRATON_WORKFLOW_LEASE_MS: int(300, 3_600_000).optional(),
});

/** Reads and validates the process environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const result = envSchema.safeParse(picked);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = result.data;
  const configFile = e.CRATON_CONFIG ?? (existsSync('craton.yaml') ? resolve('craton.yaml') : undefined);
  return {
    port: e.PORT ?? 4000,
    host: e.HOST ?? '0.0.0.0',
    store: parseDatabaseUrl(e.CRATON_DATABASE_URL),
    bootstrapKey: e.CRATON_BOOTSTRAP_KEY,
    redisUrl: e.REDIS_URL,
    configFile,
    logLevel: e.CRATON_LOG_LEVEL ?? 'info',
    introspection: e.CRATON_INTROSPECTION ?? true,
    maxBodyBytes: e.CRATON_MAX_BODY_BYTES ?? 1024 * 1024,
    maxVariableBytes: e.CRATON_MAX_VARIABLE_BYTES ?? 64 * 1024,
    maxQueryDepth: e.CRATON_MAX_QUERY_DEPTH ?? 15,
    maxQueryCost: e.CRATON_MAX_QUERY_COST ?? 250_000,
    maxAliases: e.CRATON_MAX_ALIASES ?? 500,
    exposeSqlCount: e.CRATON_EXPOSE_SQL_COUNT ?? true,
    countSql: e.CRATON_COUNT_SQL ?? false,
    metrics: e.CRATON_METRICS ?? true,
    metricsToken: e.CRATON_METRICS_TOKEN,
    graphiql: e.CRATON_GRAPHIQL ?? true,
    workflowLeaseMs: e.CRATON_WORKFLOW_LEASE_MS ?? 30_000,
  };
}
