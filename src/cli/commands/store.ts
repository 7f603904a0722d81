import { createWriteStream } from 'node:fs';
import { writeExport, type ExportFormat } from '../../export/index.js';
import { importFleet } from '../../import/index.js';
import { openSource, type ImportFormat } from '../../import/formats.js';
import type { ImportSummary } from '../../import/types.js';
import { createGateway } from '../../server.js';
import { CliError, type CliIO } from '../io.js';
import { json, table, write } from '../output.js';
import { importProgressView } from '../progress.js';
import { cliConfig, openCliStore, resolveStoreProject } from '../store.js';

// Commands that work on the store directly (CRATON_DATABASE_URL), not through a gateway.

/** `craton serve`: the gateway, as `npm start` runs it, until SIGTERM/SIGINT. */
export async function serve(io: CliIO, signals: NodeJS.EventEmitter = process): Promise<number> {
  const config = cliConfig(io);
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  const store = config.store.kind === 'sqlite' ? `SQLite ${config.store.path}` : 'MySQL';
  gateway.logger.info({ url, store }, 'craton gateway listening');
  const lines = [`\nCraton is serving GraphQL at ${url}/graphql (store: ${store})`];
  if (gateway.bootstrap && !gateway.bootstrap.fromEnv) {
    lines.push('A root user was created for this new store. Its API key is shown ONCE; keep it:', `\n    ${gateway.bootstrap.key}\n`, `Then: export CRATON_URL=${url} CRATON_API_KEY=${gateway.bootstrap.key}`);
  } else if (gateway.bootstrap) lines.push('A root user was created with the key from CRATON_BOOTSTRAP_KEY.');
  else lines.push('Authenticate with: -H "authorization: Bearer <api key>" (or CRATON_API_KEY for the craton CLI)');
  io.stdout.write(`${lines.join('\n')}\n\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info({ signal }, 'stopping');
      const force = setTimeout(() => resolve(1), 15_000);
      force.unref();
      gateway.stop().then(() => resolve(0), (err) => {
        gateway.logger.error({ err }, 'unclean stop');
        resolve(1);
      });
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
}

/** `craton migrate`: applies pending migrations and exits. */
export async function migrate(io: CliIO): Promise<number> {
  const { ds, where } = await openCliStore(io, { migrate: false });
  try {
    const applied = await ds.runMigrations({ transaction: 'all' });
    io.stdout.write(applied.length ? `applied ${applied.map((m) => m.name).join(', ')} to ${where}\n` : `${where} is up to date\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

export interface ImportCommandOptions {
  format?: ImportFormat;
  project?: string;
  dryRun?: boolean;
  chunkSize?: number;
  actor?: string;
  json?: boolean;
}

/** `craton import FILE`: streams FILE (or `-` for stdin) into the store; exit 1 when any row was rejected. */
export async function importCommand(io: CliIO, file: string, opts: ImportCommandOptions): Promise<number> {
  const source = openSource(file === '-' ? io.stdin : file, opts.format);
  const { ds, where, config } = await openCliStore(io);
  try {
    const project = await resolveStoreProject(ds, opts.project);
    const view = importProgressView(io.stderr, source);
    let summary: ImportSummary;
    try {
      summary = await importFleet(ds, {
        projectId: project.id, source: source.rows, dryRun: opts.dryRun, chunkSize: opts.chunkSize, actor: opts.actor ?? 'import',
        maxVariableBytes: config.maxVariableBytes, onProgress: (p) => view.update(p),
      });
    } finally {
      view.stop();
    }
    if (opts.json) io.stdout.write(json(summary));
    else io.stdout.write(describeSummary(summary, file === '-' ? 'standard input' : file, project.name, where));
    return summary.rejectedCount ? 1 : 0;
  } finally {
    await ds.destroy();
  }
}

/** The summary an operator reads: counts per kind, then every rejected row with its line and reason. */
export function describeSummary(s: ImportSummary, file: string, project: string, where: string): string {
  const secs = s.elapsedMs / 1000;
  const head = `${s.dryRun ? 'DRY RUN (nothing written): ' : ''}${file} → project '${project}' (${where}): ${s.rows} rows in ${secs.toFixed(1)} s (${secs > 0 ? Math.round(s.rows / secs) : s.rows} rows/s)\n`;
  const kinds = Object.entries(s.byKind).filter(([, c]) => c.created + c.updated + c.unchanged + c.rejected > 0);
  const body = table(['kind', 'created', 'updated', 'unchanged', 'rejected'], [
    ...kinds.map(([k, c]) => [k, c.created, c.updated, c.unchanged, c.rejected]),
    ['total', s.created, s.updated, s.unchanged, s.rejectedCount],
  ]);
  const rejected = s.rejected.map((r) => {
    const what = [r.record.kind, r.record.name === undefined ? undefined : `'${String(r.record.name)}'`].filter(Boolean).join(' ');
    return `  line ${r.line}${what ? ` (${what})` : ''}: ${r.reason}\n`;
  });
  const more = s.rejectedCount > s.rejected.length ? `  … and ${s.rejectedCount - s.rejected.length} more\n` : '';
  return `${head}${body}${rejected.length ? `Rejected rows (nothing of them was written):\n${rejected.join('')}${more}` : ''}`;
}

/** `craton export`: the project's inventory in an import format, to stdout or --output FILE. */
export async function exportCommand(io: CliIO, opts: { format?: ExportFormat; output?: string; project?: string }): Promise<number> {
  const format = opts.format ?? (opts.output?.match(/\.(csv|json|ya?ml)$/i)?.[1]?.toLowerCase().replace('yml', 'yaml') as ExportFormat | undefined) ?? 'yaml';
  const { ds } = await openCliStore(io);
  try {
    const project = await resolveStoreProject(ds, opts.project);
    if (!opts.output || opts.output === '-') {
      await writeExport(ds, { projectId: project.id, format }, { write: (s: string) => io.stdout.write(s), once: io.stdout.once?.bind(io.stdout) } as never);
      return 0;
    }
    const out = createWriteStream(opts.output);
    const done = new Promise<void>((resolve, reject) => { out.on('finish', resolve); out.on('error', reject); });
    const count = await writeExport(ds, { projectId: project.id, format }, out);
    out.end();
    await done;
    await write(io.stderr, `exported ${count} objects of project '${project.name}' to ${opts.output} (${format})\n`);
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') throw new CliError((err as Error).message);
    throw err;
  } finally {
    await ds.destroy();
  }
}
