// run-command: a real executable (node running fixtures/echo-target.mjs) run once per target without a
// shell, with the target in its arguments and environment; exit codes, timeouts, output bounds, vetting of
// the command, dry runs; then through the engine on each store (resolved variables, cancellation).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.js';
import { VariableRow } from '../../src/store/entities.js';
import { runCommand, runCommandWorkflow } from '../../workflows/definitions/run-command.js';
import { CommandDriver } from '../../workflows/drivers/command.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import { createRegistry } from '../../workflows/registry.js';
import { variableEnvName } from '../../workflows/tasks/run-command.js';
import type { TargetDevice } from '../../workflows/types.js';
import { describeEachStore } from '../helpers/stores.js';
import { openTestStore, startService, waitFor, waitForRun, type TestStore } from './harness.js';
import { runTarget, type RunTargetOptions, type RunTargetResult } from './openstack-runner.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo-target.mjs');
const NODE = process.execPath;

interface Echo {
  argv: string[];
  pid: number;
  env: Record<string, string>;
}

const web1: TargetDevice = {
  id: 'SG9zdDo0Mg', name: 'web-1', ipAddress: '10.0.0.5',
  variables: { rack: 'r7', 'hw.cores': 12, disks: [{ vendor: 'Seagate' }], capacity: { memory_mb: 65536 }, 'weird key-ä': true },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'craton-cmd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (params: Record<string, unknown>, options: Partial<RunTargetOptions> = {}) =>
  runTarget({ definition: runCommand, target: web1, params: { command: NODE, ...params }, drivers: {}, ...options });
const outputOf = (r: RunTargetResult) => r.results['run-command']!.output as { exitCode: number; signal: string | null; stdout: string; stderr: string; durationMs: number; stdoutTruncated: boolean };
const echoOf = (r: RunTargetResult): Echo => JSON.parse(outputOf(r).stdout.split('\n')[0]!);

describe('run-command', () => {
  it('runs the command with each placeholder substituted inside its own argument, and the target in the environment', async () => {
    const r = await run({
      args: [SCRIPT, '--limit', '{{name}}', 'ip={{ip}}', '{{vars.rack}}', '{{ vars.hw.cores }}', '{{vars.disks}}', '{{vars.capacity.memory_mb}}', '{{id}}', 'a {{name}} b'],
      env: { EXTRA_ONE: 'one', EXTRA_TWO: 'with spaces' },
    });
    expect(r.status, JSON.stringify(r.failure)).toBe('SUCCEEDED');
    const echo = echoOf(r);
    expect(echo.argv).toEqual(['--limit', 'web-1', 'ip=10.0.0.5', 'r7', '12', '[{"vendor":"Seagate"}]', '65536', 'SG9zdDo0Mg', 'a web-1 b']);
    expect(echo.env).toEqual({
      PATH: process.env.PATH,
      EXTRA_ONE: 'one',
      EXTRA_TWO: 'with spaces',
      CRATON_TARGET_NAME: 'web-1',
      CRATON_TARGET_IP: '10.0.0.5',
      CRATON_TARGET_ID: 'SG9zdDo0Mg',
      CRATON_RUN_ID: 'run-1',
      CRATON_ATTEMPT: '1',
      CRATON_RESUMED: '0',
      CRATON_VAR_RACK: 'r7',
      CRATON_VAR_HW_CORES: '12',
      CRATON_VAR_DISKS: '[{"vendor":"Seagate"}]',
      CRATON_VAR_CAPACITY: '{"memory_mb":65536}',
      CRATON_VAR_WEIRD_KEY__: 'true',
    }); // nothing else of the gateway's environment
    expect(outputOf(r)).toMatchObject({ exitCode: 0, signal: null, stderr: '' });
    expect(r.events.find((e) => e.type === 'LOG' && e.task === 'run-command')?.message).toMatch(/ exited with 0 after \d+ ms$/);
  });

  it('names variables CRATON_VAR_<KEY> upper-cased with everything outside [A-Z0-9_] replaced', () => {
    expect(['rack', 'hw.cores', 'audit.name_length', 'a-b c', 'ü'].map(variableEnvName)).toEqual([
      'CRATON_VAR_RACK', 'CRATON_VAR_HW_CORES', 'CRATON_VAR_AUDIT_NAME_LENGTH', 'CRATON_VAR_A_B_C', 'CRATON_VAR__',
    ]);
  });

  it('never involves a shell: $(...), backticks, ;, |, globs and quotes reach the program literally', async () => {
    const pwned = join(dir, 'pwned');
    const hostile = [`$(touch ${pwned})`, `\`touch ${pwned}\``, `x; touch ${pwned}`, `y | touch ${pwned}`, `&& touch ${pwned}`, '*', '$HOME', `'q' "dq"`, '{{vars.evil}}'];
    const target = { ...web1, variables: { evil: `$(touch ${pwned})` } };
    const r = await run({ args: [SCRIPT, ...hostile] }, { target });
    expect(r.status).toBe('SUCCEEDED');
    expect(echoOf(r).argv).toEqual([...hostile.slice(0, -1), `$(touch ${pwned})`]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('fails the target on an exit code outside okExitCodes, without retrying, with the output in the failure', async () => {
    const failed = await run({ args: [SCRIPT, '--exit=3', '--stderr=disk full\n'] });
    expect(failed.status).toBe('FAILED');
    expect(failed.attempts['run-command']).toBe(1);
    expect(failed.failure).toMatchObject({ type: 'CommandFailed', retryable: true, task: 'run-command', attempt: 1, details: { exitCode: 3, stderr: 'disk full\n' } });
    expect(failed.failure!.message).toBe(`${NODE} exited with 3: disk full`);
    const accepted = await run({ args: [SCRIPT, '--exit=3'], okExitCodes: [0, 3] });
    expect(accepted.status).toBe('SUCCEEDED');
    expect(outputOf(accepted).exitCode).toBe(3);
  });

  it('retries a failing command when a plugin registers run-command with a retry policy', async () => {
    const retried = runCommandWorkflow({ name: 'run-command-retried', retry: { maximumAttempts: 3, initialIntervalMs: 1, maximumIntervalMs: 1 } });
    expect(() => createRegistry([retried])).not.toThrow();
    const r = await run({ args: [SCRIPT, '--exit=1'] }, { definition: retried });
    expect([r.status, r.attempts['run-command']]).toEqual(['FAILED', 3]);
  });

  it('kills a command that runs past timeoutSeconds with SIGTERM, and with SIGKILL when it ignores SIGTERM', async () => {
    const polite = await run({ args: [SCRIPT, '--sleep=30000'], timeoutSeconds: 1 });
    expect(polite.failure).toMatchObject({ type: 'CommandTimeout', retryable: true, details: { exitCode: null, signal: 'SIGTERM' } });
    expect((polite.failure!.details as { durationMs: number }).durationMs).toBeLessThan(5_000);
    const stubborn = await run(
      { args: [SCRIPT, '--sleep=30000', '--ignore-term'], timeoutSeconds: 1 },
      { drivers: { commands: new CommandDriver({ killGraceMs: 200 }) } },
    );
    expect(stubborn.failure).toMatchObject({ type: 'CommandTimeout', details: { signal: 'SIGKILL' } });
    expect(stubborn.failure!.message).toBe(`${NODE} ran longer than 1 s and was killed (SIGKILL)`);
  });

  it('keeps only the last 16 KiB of what the command writes', async () => {
    const r = await run({ args: [SCRIPT, '--spam=100000'] });
    const out = outputOf(r);
    expect(out.stdout.length).toBe(16 * 1024);
    expect(out.stdout.endsWith('xxxxEND')).toBe(true);
    expect(out.stdoutTruncated).toBe(true);
  });

  it('refuses, before running anything, a command that is missing, not executable, relative, or not on the allowlist', async () => {
    const cases: Array<[Record<string, unknown>, string, Partial<RunTargetOptions>?]> = [
      [{ command: '/nonexistent/tool' }, 'CommandNotFound'],
      [{ command: 'definitely-not-a-command-7f3a' }, 'CommandNotFound'],
      [{ command: SCRIPT }, 'CommandNotExecutable'], // mode 644
      [{ command: dirname(SCRIPT) }, 'CommandNotExecutable'],
      [{ command: 'bin/node' }, 'InvalidParameter'],
      [{ command: '/bin/sh', args: ['-c', 'true'] }, 'CommandNotAllowed', { drivers: { commands: new CommandDriver({ allow: [NODE] }) } }],
      [{ args: [SCRIPT, '{{nope}}'] }, 'InvalidParameter'],
      [{ args: [SCRIPT, '{{vars.missing}}'] }, 'MissingVariable'],
      [{ args: [SCRIPT, '{{ip}}'] }, 'MissingVariable', { target: { ...web1, ipAddress: null } }],
      [{ args: [SCRIPT], env: { 'BAD-NAME': 'x' } }, 'InvalidParameter'],
      [{ timeoutSeconds: 0 }, 'InvalidParameter'],
    ];
    for (const [params, type, options] of cases) {
      const r = await run({ ...params, args: [...((params.args as string[]) ?? [SCRIPT]), `--touch=${join(dir, 'ran')}`] }, options);
      expect([r.status, r.failure?.type, r.failure?.task, r.failure?.retryable], JSON.stringify(params)).toEqual(['FAILED', type, 'resolve-command', false]);
    }
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    // on the allowlist: runs
    const allowed = await run({ args: [SCRIPT] }, { drivers: { commands: new CommandDriver({ allow: [NODE] }) } });
    expect(allowed.status).toBe('SUCCEEDED');
  });

  it('finds a bare name on PATH, and gives the command that PATH', async () => {
    const path = `/nonexistent-dir:${dirname(NODE)}`;
    const r = await run({ command: basename(NODE), args: [SCRIPT] }, { drivers: { commands: new CommandDriver({ path }) } });
    expect(r.status, JSON.stringify(r.failure)).toBe('SUCCEEDED');
    expect((r.results['resolve-command']!.command as { path: string }).path).toBe(join(dirname(NODE), basename(NODE)));
    expect(echoOf(r).env.PATH).toBe(path);
  });

  it('reports in a dry run the argv it would run, and runs nothing', async () => {
    const touched = join(dir, 'ran');
    const r = await run({ args: [SCRIPT, '--limit', '{{name}}', `--touch=${touched}`, 'two words'] }, { dryRun: true });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.skipped).toEqual(['run-command']);
    expect(r.events.find((e) => e.type === 'LOG')?.message).toBe(`dry run: would run ${NODE} ${SCRIPT} --limit web-1 --touch=${touched} 'two words'`);
    expect(existsSync(touched)).toBe(false);
  });
});

describeEachStore('run-command through the engine', (kind) => {
  let store: TestStore;
  let service: WorkflowService;
  let work: string;
  beforeAll(async () => {
    store = await openTestStore(kind);
    service = await startService(store, [], { cancelGraceMs: 50, drivers: { commands: new CommandDriver({ killGraceMs: 500 }) } });
    work = await mkdtemp(join(tmpdir(), 'craton-cmd-engine-'));
  });
  afterAll(async () => {
    await service?.stop();
    await store?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('runs once per target with the resolved variables (inherited ones too) in the environment, the output in the task result', async () => {
    const hosts = await store.hosts(3, 'cmd', { role: 'web' });
    await store.ds.getRepository(VariableRow).insert({ ownerType: 'region', ownerId: store.regionId, key: 'dc', projectId: store.projectId, value: JSON.stringify({ name: 'par1' }) });
    const scope = store.scope();
    const started = await service.startRun(scope, {
      workflow: 'run-command', target: { nameContains: 'cmd-' }, params: { command: NODE, args: [SCRIPT, '--limit', '{{name}}', '{{vars.dc.name}}'] },
    });
    const done = await waitForRun(service, scope, started);
    const targets = (await service.queries.targets(started.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
    expect(done.status, JSON.stringify(targets.map((t) => t.lastError))).toBe('SUCCEEDED');
    for (const t of targets) {
      const echo: Echo = JSON.parse((t.tasks[1]!.result!.output as { stdout: string }).stdout.split('\n')[0]!);
      expect(echo.argv).toEqual(['--limit', t.deviceName, 'par1']);
      expect(echo.env).toMatchObject({ CRATON_TARGET_NAME: t.deviceName, CRATON_VAR_ROLE: 'web', CRATON_VAR_DC: '{"name":"par1"}', CRATON_RUN_ID: toGlobalId('WorkflowRun', started.id) });
    }
    expect(targets.map((t) => t.deviceName).sort()).toEqual(hosts.map((h) => h.name).sort());
  });

  it('kills the command of a run cancelled mid-command, and winds the target down', async () => {
    await store.hosts(3, 'cancel-cmd');
    const scope = store.scope();
    const started = await service.startRun(scope, {
      workflow: 'run-command', target: { nameContains: 'cancel-cmd-' }, maxConcurrency: 1,
      params: { command: NODE, args: [SCRIPT, '--sleep=30000', `--pidfile=${join(work, '{{name}}.pid')}`] },
    });
    const pidFile = await waitFor(async () => {
      const t = (await service.queries.targets(started.id, { first: 1, afterKey: 0 })).edges[0]?.node;
      return t && existsSync(join(work, `${t.deviceName}.pid`)) ? join(work, `${t.deviceName}.pid`) : null;
    }, 'the first command to start');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await service.cancelRun(scope, toGlobalId('WorkflowRun', started.id));
    const done = await waitForRun(service, scope, started);
    expect(done.status).toBe('CANCELLED');
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), 'the command to be killed', 20_000);
    const targets = (await service.queries.targets(started.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
    expect(targets.map((t) => t.status)).toEqual(['REVERTED', 'SKIPPED', 'SKIPPED']);
  });
});
