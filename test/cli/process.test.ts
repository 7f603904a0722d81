// One smoke test of the built `craton` binary as a real process (package.json "bin": dist/src/cli.js): import
// the example fleet into a gateway's store, then query it through the gateway. Everything else runs in-process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const BIN = join(projectRoot, 'dist', 'src', 'cli.js');

let t: TestGateway;
beforeAll(async () => {
  await run('npm', ['run', 'build', '--silent'], { cwd: projectRoot });
  t = await startGateway('sqlite');
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

it('the built craton binary imports the example fleet and lists its hosts', async () => {
  const env = { ...process.env, CRATON_URL: t.url, CRATON_API_KEY: t.rootKey, CRATON_DATABASE_URL: t.databaseUrl, CRATON_LOG_LEVEL: 'silent' };
  const imported = await run('node', [BIN, 'import', join(projectRoot, 'examples', 'fleet.yaml')], { env });
  expect(imported.stdout).toMatch(/\| total +\| 412 +\| 0 +\| 0 +\| 0 +\|/);
  const listed = await run('node', [BIN, '--json', 'hosts', 'list', '--label', 'storage', '--all'], { env });
  expect(JSON.parse(listed.stdout)).toHaveLength(12);
  const usage = await run('node', [BIN, 'hosts', 'list', '--limit', 'x'], { env }).catch((err) => err);
  expect(usage.code).toBe(2);
}, 60_000);
