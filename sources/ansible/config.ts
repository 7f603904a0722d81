import { z } from 'zod';
import { parseSourceConfig } from '../config-errors.js';

// The `kind: ansible` entry of the sources file. Fields the gateway owns for every source (project,
// timeout, cache TTL, ...) pass through unchecked; connection, mapping and placement are ours and strict.

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const valueMap = z.record(z.string(), z.string());

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where one level of the hierarchy comes from: a fixed name; the first of the host's groups (in ASCII
 * order) matching a regular expression, its first capture group if it has one (`^region_(.+)$` on
 * `region_ord` gives `ord`); or a host variable after Ansible's merge. `map` translates the value found
 * (values not in it pass as they are).
 */
const placementLevel = z.union(
  [
    nonEmpty,
    z.strictObject({ fromGroupPattern: z.string().min(1).refine(compiles, 'must be a valid regular expression'), map: valueMap.optional() }),
    z.strictObject({ fromHostVar: nonEmpty, map: valueMap.optional() }),
  ],
  { error: 'expected a name, { fromGroupPattern: REGEX } or { fromHostVar: NAME }' },
);

const schema = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, _ . - (it is part of every host id)'),
  kind: z.literal('ansible', { error: "must be 'ansible'" }),
  connection: z.strictObject({
    /** An inventory file (INI or YAML) or a directory of them; relative paths resolve against the working directory. */
    path: nonEmpty,
    /** Re-read when a file changes (checked by stat on every call); false reads once. @default true */
    watch: z.boolean().default(true),
  }),
  mapping: z
    .strictObject({
      /** @default 'server' */
      deviceType: nonEmpty.default('server'),
    })
    .default({ deviceType: 'server' }),
  placement: z
    .strictObject({ cloud: placementLevel.optional(), region: placementLevel.optional(), cell: placementLevel.optional() })
    .default({}),
});

/** A validated `kind: ansible` source entry, defaults applied. */
export type AnsibleConfig = z.output<typeof schema>;
export type AnsiblePlacementLevel = z.output<typeof placementLevel>;

/**
 * Validates one `kind: ansible` entry of the sources file.
 *
 * @param path where the entry sits in the file, for messages: `sources[2]`.
 * @throws SourceConfigError naming every bad field, e.g. `sources[2].connection.path: required`.
 */
export function parseAnsibleConfig(raw: unknown, path: string): AnsibleConfig {
  return parseSourceConfig(schema, raw, path);
}
