import { ConfigError, loadConfig, redact } from './config.js';
import { createLogger } from './logger.js';
import { createDataSource } from './store/data-source.js';

/** `craton migrate`: applies pending migrations to the configured store and exits. */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const ds = createDataSource(config.store, { logger });
  await ds.initialize();
  const applied = await ds.runMigrations({ transaction: 'all' });
  await ds.destroy();
  const where = config.store.kind === 'sqlite' ? config.store.path : redact(config.store.url);
  process.stdout.write(applied.length ? `applied ${applied.map((m) => m.name).join(', ')} to ${where}\n` : `${where} is up to date\n`);
}

const [command] = process.argv.slice(2);
const commands: Record<string, () => Promise<void>> = { migrate };
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write(`usage: craton <${Object.keys(commands).join('|')}>\n`);
  process.exit(2);
}
run().catch((err) => {
  process.stderr.write(`craton ${command}: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
