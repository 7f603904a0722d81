import { isAbsolute, resolve, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SourceBlock } from '../src/config-file.js';
import { ConfigError } from '../src/config.js';
import type { ExternalSource, SourceDeps } from './source.js';
import { OneOpsSource } from './oneops/index.js';
import { AnsibleInventorySource } from './ansible/index.js';

/**
 * What a source kind provides: a factory that validates its config block (throwing an Error whose message
 * names the field) and returns the source. Plugins export one of these as `default` or as `source`.
 */
export interface SourceKind {
  kind: string;
  fromConfig(config: unknown, deps: SourceDeps, path: string): ExternalSource | Promise<ExternalSource>;
}

/** The kinds Craton ships. */
const BUILT_IN: Record<string, SourceKind> = {
  oneops: { kind: 'oneops', fromConfig: (c, d, p) => OneOpsSource.fromConfig(c, d, p) },
  ansible: { kind: 'ansible', fromConfig: (c, d, p) => AnsibleInventorySource.fromConfig(c, d, p) },
};

/** Registers another built-in kind (used by kinds that live in their own module). */
export function registerKind(kind: SourceKind): void {
  BUILT_IN[kind.kind] = kind;
}

/**
 * Builds every configured source. A block with `module:` loads a plugin (a path relative to the config
 * file, or a package name) whose export provides `fromConfig`. Any mistake stops start-up with a
 * message naming the block.
 */
export async function buildSources(blocks: SourceBlock[], deps: SourceDeps, configPath: string): Promise<ExternalSource[]> {
  const out: ExternalSource[] = [];
  for (const [i, block] of blocks.entries()) {
    const path = `sources[${i}]`;
    const kind = block.module ? await loadPlugin(block.module, configPath, path) : BUILT_IN[block.kind];
    if (!kind) throw new ConfigError(`${configPath}: ${path}.kind: unknown source kind '${block.kind}' (known: ${Object.keys(BUILT_IN).join(', ')}; or name a plugin with module:)`);
    try {
      out.push(await kind.fromConfig(withPathsResolved(block, configPath), deps, path));
    } catch (err) {
      throw new ConfigError(`${configPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}

/** A relative `connection.path` (files a source reads) means relative to the config file, not the cwd. */
function withPathsResolved(block: SourceBlock, configPath: string): SourceBlock {
  const connection = block.connection as Record<string, unknown> | undefined;
  if (!connection || typeof connection.path !== 'string' || isAbsolute(connection.path) || !configPath) return block;
  return { ...block, connection: { ...connection, path: resolve(dirname(configPath), connection.path) } };
}

async function loadPlugin(spec: string, configPath: string, path: string): Promise<SourceKind> {
  const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(dirname(configPath || '.'), spec)).href : spec;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${configPath}: ${path}.module: cannot load '${spec}': ${err instanceof Error ? err.message : String(err)}`);
  }
  const kind = (mod.default ?? mod.source) as SourceKind | undefined;
  if (!kind || typeof kind.fromConfig !== 'function') {
    throw new ConfigError(`${configPath}: ${path}.module: '${spec}' must export { kind, fromConfig(config, deps, path) } as default or as 'source'`);
  }
  return kind;
}
