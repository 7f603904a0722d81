import './production.js';
import { ConfigError, loadConfig, redact } from './config.js';
import { createGateway } from './server.js';

/** `npm start`: serve the gateway until SIGTERM/SIGINT, then stop gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`craton: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  const store = config.store.kind === 'sqlite' ? `SQLite ${config.store.path}` : `MySQL ${redact(config.store.url)}`;
  gateway.logger.info({ url, store }, 'craton gateway listening');
  const lines = [`\nCraton is serving GraphQL at ${url}/graphql (store: ${store})`];
  if (gateway.bootstrap && !gateway.bootstrap.fromEnv) {
    lines.push(
      'A root user was created for this new store. Its API key is shown ONCE; keep it:',
      `\n    ${gateway.bootstrap.key}\n`,
      `Try:  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
      `        -H 'authorization: Bearer ${gateway.bootstrap.key}' -d '{"query":"{ me { user { name } role project { name } } }"}'`,
    );
  } else if (gateway.bootstrap) {
    lines.push('A root user was created with the key from CRATON_BOOTSTRAP_KEY.');
  } else {
    lines.push('Authenticate with: -H "authorization: Bearer <api key>"');
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    gateway.stop().then(() => process.exit(0), (err) => {
      gateway.logger.error({ err }, 'unclean stop');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`craton: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
