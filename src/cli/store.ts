import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig, redact, type Config } from '../config.js';
import { fromGlobalId } from '../ids.js';
import { createDataSource, openStore } from '../store/data-source.js';
import { CliError, type CliIO } from './io.js';

// Direct access to the store for `migrate`, `import` and `export`: the store CRATON_DATABASE_URL names (the
// embedded SQLite file by default), with migrations applied, exactly as the gateway opens it.

export interface OpenedStore {
  config: Config;
  ds: DataSource;
  /** Where the store is, for messages (passwords hidden). */
  where: string;
}

export function cliConfig(io: CliIO): Config {
  try {
    return loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`invalid configuration: ${err.message}`, 2);
    throw err;
  }
}

export async function openCliStore(io: CliIO, opts: { migrate: boolean } = { migrate: true }): Promise<OpenedStore> {
  const config = cliConfig(io);
  // Warnings (slow statements) go to stderr, so stdout stays the command's own output.
  const logger = pino({ level: 'warn', base: { service: 'craton-cli' } }, pino.destination(2));
  const ds = createDataSource(config.store, { logger });
  const where = config.store.kind === 'sqlite' ? `SQLite ${config.store.path}` : `MySQL ${redact(config.store.url)}`;
  try {
    if (opts.migrate) await openStore(ds);
    else await ds.initialize();
  } catch (err) {
    await ds.destroy().catch(() => undefined);
    throw new CliError(`cannot open the store (${where}): ${(err as Error).message}`);
  }
  return { config, ds, where };
}

/**
 * The project to import into or export from: a number (the project's key), a Project global id, or a name
 * (default `default`, the project the first gateway start creates).
 */
export async function resolveStoreProject(ds: DataSource, given: string | undefined): Promise<{ id: number; name: string }> {
  const wanted = given ?? 'default';
  let id: number | undefined;
  if (/^\d+$/.test(wanted)) id = Number(wanted);
  else {
    try {
      const g = fromGlobalId(wanted);
      if (g.type === 'Project') id = Number(g.key);
    } catch {
      // a name
    }
  }
  const rows: Array<{ id: number | string; name: string }> = id !== undefined
    ? await ds.query('SELECT `id`, `name` FROM `projects` WHERE `id` = ?', [id])
    : await ds.query('SELECT `id`, `name` FROM `projects` WHERE `name` = ?', [wanted]);
  if (rows.length === 1) return { id: Number(rows[0]!.id), name: rows[0]!.name };
  if (rows.length > 1) throw new CliError(`${rows.length} projects are named '${wanted}': pass --project with the id (${rows.map((r) => r.id).join(', ')})`, 2);
  const all: Array<{ name: string }> = await ds.query('SELECT `name` FROM `projects` ORDER BY `id` LIMIT 20');
  if (!all.length) throw new CliError("the store has no projects yet: start the gateway once (craton serve) to create the 'default' project and the root key");
  throw new CliError(`no project ${id !== undefined ? `with id ${id}` : `named '${wanted}'`} in the store (projects: ${all.map((p) => p.name).join(', ')})`, 2);
}
