import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { load } from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from './config.js';

/** The fields every source block has; the rest of the block belongs to the source's kind. */
/** A required string whose absence reads `required`, as operators expect. */
const required = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') });

const sourceCommon = z.object({
  name: required().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, - or _, starting with a letter'),
  kind: required().min(1),
  /** A plugin: path (relative to the config file) or package name of a module exporting `fromConfig`. */
  module: z.string().min(1).optional(),
  /** The project (by name) whose graph shows this source's hosts. */
  project: required().min(1, 'must not be empty'),
  /** Per-call timeout. @default 5000 */
  timeoutMs: z.number().int().min(50).max(300_000).default(5000),
  /** How long answers are reused; 0 disables the cache. @default 30000 */
  cacheTtlMs: z.number().int().min(0).max(86_400_000).default(30_000),
  /**
   * After `failures` consecutive failed calls the source is left alone for `cooldownMs` (calls fail at once
   * with SOURCE_UNAVAILABLE), then one call probes it. @default { failures: 3, cooldownMs: 30000 }
   */
  circuitBreaker: z.object({
    failures: z.number().int().min(1).max(1000).default(3),
    cooldownMs: z.number().int().min(100).max(3_600_000).default(30_000),
  }).strict().default({ failures: 3, cooldownMs: 30_000 }),
  /** Which wins for a host's variables: our overlay (default) or the source's attributes. */
  precedence: z.enum(['overlay', 'source']).default('overlay'),
  /**
   * Where hosts sit: names of a Craton cloud, region and cell (strings), or mappings the source's kind
   * understands (e.g. `{ fromNsPathSegment: 3 }`); names are the defaults for hosts the mapping leaves out.
   */
  placement: z.object({ cloud: z.unknown(), region: z.unknown(), cell: z.unknown().optional() }).passthrough().optional(),
}).passthrough();

export type SourceBlock = z.infer<typeof sourceCommon> & Record<string, unknown>;

const fileSchema = z.object({
  sources: z.array(z.unknown()).default([]),
  workflows: z.object({
    plugins: z.array(z.string().min(1)).default([]),
    /** Allowlist of run-command: the only executables it may run (absolute paths). Absent: any. */
    commands: z.array(z.string().min(1).refine((p) => isAbsolute(p), 'must be an absolute path')).optional(),
  }).strict().default({ plugins: [] }),
  /** Credentials of the OpenStack cloud the built-in workflows act on (validated by the driver). */
  openstack: z.unknown().optional(),
}).strict();

/** The YAML configuration file (CRATON_CONFIG): sources and workflow plugins. */
export interface FileConfig {
  path: string;
  sources: SourceBlock[];
  workflowPlugins: string[];
  /** `workflows.commands`: the executables run-command may run, when restricted. */
  workflowCommands?: string[];
  /** The `openstack:` block, when present (see workflows/drivers/openstack.ts). */
  openstack?: unknown;
}

/** Reads and validates the config file; a mistake stops start-up with a message naming the field. */
export function loadConfigFile(path: string | undefined): FileConfig {
  if (!path) return { path: '', sources: [], workflowPlugins: [] };
  let raw: unknown;
  try {
    raw = load(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const file = fileSchema.safeParse(raw);
  if (!file.success) throw new ConfigError(`${path}: ${describe(file.error.issues[0]!)}`);
  const names = new Set<string>();
  const sources = file.data.sources.map((block, i) => {
    const parsed = sourceCommon.safeParse(block);
    if (!parsed.success) throw new ConfigError(`${path}: sources[${i}].${describe(parsed.error.issues[0]!)}`);
    if (parsed.data.name === 'craton') throw new ConfigError(`${path}: sources[${i}].name: 'craton' is the reference store's name`);
    if (names.has(parsed.data.name)) throw new ConfigError(`${path}: sources[${i}].name: '${parsed.data.name}' is used twice`);
    names.add(parsed.data.name);
    return parsed.data as SourceBlock;
  });
  return { path, sources, workflowPlugins: file.data.workflows.plugins, workflowCommands: file.data.workflows.commands, openstack: file.data.openstack };
}

function describe(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
