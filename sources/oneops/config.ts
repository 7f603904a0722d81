import { z } from 'zod';
import { parseSourceConfig } from '../config-errors.js';

// The `kind: oneops` entry of the sources file. Fields the gateway owns for every source (project,
// timeout, cache TTL, ...) pass through unchecked here; everything under connection, credentials,
// mapping, placement and relations is ours and strict, so a misspelt field stops start-up.

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const nsPath = z.string().regex(/^\/[^\s]*$/, 'must be an nsPath starting with /, e.g. /acme/shop/prod/bom');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const valueMap = z.record(z.string(), z.string());

/**
 * Where one level of the hierarchy (cloud, region or cell) comes from: a fixed name, a segment of the
 * CI's nsPath, or one of its attributes. `map` translates the value found (values not in it pass as they
 * are). nsPath segments are numbered as OneOps numbers them: /org(1)/assembly(2)/env(3)/bom(4)/platform(5).
 */
const placementLevel = z.union(
  [
    nonEmpty,
    z.strictObject({ fromNsPathSegment: z.number().int().min(1), map: valueMap.optional() }),
    z.strictObject({ fromAttribute: nonEmpty, map: valueMap.optional() }),
  ],
  { error: 'expected a name, { fromNsPathSegment: N } or { fromAttribute: NAME }' },
);

const connection = z.strictObject({
  /** The adapter's base URL, `http://cms:8080/adapter/rest` (a trailing slash is dropped). */
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://cms:8080/adapter/rest' }).transform((u) => u.replace(/\/+$/, '')),
  /** The namespace whose CIs are hosts. */
  nsPath,
  /** Include the namespace's descendants (`recursive=true`). @default true */
  recursive: z.boolean().default(true),
  /** CI classes that are hosts; a name without a dot matches the short class name, as OneOps does. @default ['bom.Compute'] */
  classes: z.array(nonEmpty).min(1, 'must name at least one class').default(['bom.Compute']),
  /** Sent as `X-Cms-Scope`; the server then refuses anything outside this nsPath prefix (or /public). */
  scope: nsPath.optional(),
  /** Sent as `X-Cms-User` (recorded by OneOps on writes; harmless on reads). */
  user: nonEmpty.optional(),
  /** Per-request timeout, headers and body together. @default the entry's `timeoutMs`, else 10000 */
  timeoutMs: z.number().int().positive().optional(),
  /** Ids per `POST /cm/simple/cis/list` in `load`. @default 100 */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** Requests in flight at once when the adapter must go CI by CI. @default 8 */
  concurrency: z.number().int().min(1).max(64).default(8),
  /**
   * How long one full listing of the namespace serves `list` calls (paging through it, several filters),
   * in milliseconds; 0 fetches on every call. OneOps cannot page, so without it every page costs a full
   * fetch. @default 10000
   */
  snapshotTtlMs: z.number().int().min(0).default(10_000),
});

const credentials = z.strictObject({
  usernameEnv: envName,
  passwordEnv: envName,
});

const mapping = z
  .strictObject({
    /** Attribute holding the host name; falls back to ciName when absent or empty. @default ciName */
    nameAttribute: nonEmpty.optional(),
    /** Attributes tried in order for the IP address; the first valid IP wins. @default ['public_ip', 'private_ip'] */
    ipAttributes: z.array(nonEmpty).min(1).default(['public_ip', 'private_ip']),
    /** @default 'server' */
    deviceType: nonEmpty.default('server'),
    /** Labels from the CI's altNs tag names (`includeAltNs=*`). @default true */
    labelsFromAltNs: z.boolean().default(true),
    /** Labels from an attribute: a list of names, a comma-separated string, or a JSON object (`key:value`). */
    labelsAttribute: nonEmpty.optional(),
    /** CI states that mean "not active". @default ['pending_deletion'] */
    inactiveStates: z.array(nonEmpty).default(['pending_deletion']),
  })
  .default({ ipAttributes: ['public_ip', 'private_ip'], deviceType: 'server', labelsFromAltNs: true, inactiveStates: ['pending_deletion'] });

const placement = z
  .strictObject({ cloud: placementLevel.optional(), region: placementLevel.optional(), cell: placementLevel.optional() })
  .default({});

/** A relation whose far-side CI names become the attribute `attribute` (a list of ciNames). */
const relation = z.strictObject({
  relationName: nonEmpty,
  /** `from`: the host is the relation's fromCi; `to`: its toCi. @default 'from' */
  direction: z.enum(['from', 'to']).default('from'),
  attribute: nonEmpty,
});

const schema = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, _ . - (it is part of every host id)'),
  kind: z.literal('oneops', { error: "must be 'oneops'" }),
  /** The gateway's per-call timeout; also the default of `connection.timeoutMs`. */
  timeoutMs: z.number().int().positive().optional(),
  connection,
  credentials: credentials.optional(),
  mapping,
  placement,
  relations: z.array(relation).default([]),
});

/** A validated `kind: oneops` source entry, defaults applied. */
export type OneOpsConfig = z.output<typeof schema>;
/** How one hierarchy level is found for a CI. */
export type OneOpsPlacementLevel = z.output<typeof placementLevel>;

/**
 * Validates one `kind: oneops` entry of the sources file.
 *
 * @param path where the entry sits in the file, for messages: `sources[1]`.
 * @throws SourceConfigError naming every bad field, e.g. `sources[1].connection.url: required`.
 */
export function parseOneOpsConfig(raw: unknown, path: string): OneOpsConfig {
  return parseSourceConfig(schema, raw, path);
}
