// A gateway killed with SIGKILL in the middle of a run, as a real process (`node dist/src/main.js`), and a
// new one started on the same store: the new one takes the run over once the dead one's lease expires
// (CRATON_WORKFLOW_LEASE_MS), finishes it, and the run's event log has no gap and no repeat. The workflow's
// task appends a line per execution to a file, so executions are counted across both processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { makeHosts, uniq } from '../helpers/fixtures.js';
import { createTestStore, randomKey, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';
import { waitFor } from './harness.js';

const PLUGIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'slow-plugin.mjs');
const TARGETS = 30;
const LEASE_MS = 1500;

/** Runs a command to completion; rejects with its output when it fails. */
function exec(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`))));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A gateway process and a GraphQL client for it (the subset of TestGateway the fixtures use). */
interface Proc {
  child: ChildProcess;
  url: string;
  output: () => string;
  ok: TestGateway['ok'];
}

beforeAll(async () => {
  await exec('npm', ['run', 'build', '--silent'], projectRoot);
}, 180_000);

describeEachStore('a gateway killed with SIGKILL mid-run', (kind) => {
  let dir: string;
  let dropStore: () => Promise<void> = async () => undefined;
  const procs: Proc[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'craton-kill-'));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        await new Promise((r) => p.child.once('exit', r));
      }
    }
  });
  afterAll(async () => {
    await dropStore();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts `node dist/src/main.js` on the store and waits until it is ready. */
  async function startProcess(env: Record<string, string>, rootKey: string): Promise<Proc> {
    const port = await freePort();
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CRATON_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
    const child = spawn(process.execPath, [join(projectRoot, 'dist', 'src', 'main.js')], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...clean, ...env, PORT: String(port), HOST: '127.0.0.1', CRATON_LOG_LEVEL: 'warn', CRATON_WORKFLOW_LEASE_MS: String(LEASE_MS) },
    });
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const url = `http://127.0.0.1:${port}`;
    const ok: TestGateway['ok'] = async (query, variables, opts) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${opts?.key ?? rootKey}` },
        body: JSON.stringify({ query, variables: variables ?? {} }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body)}\n${query}`);
      return body.data;
    };
    const proc: Proc = { child, url, output: () => out, ok };
    procs.push(proc);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${out}`);
      return fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    }, 'the gateway to be ready', 30_000);
    return proc;
  }

  it('finishes the run after a restart: every target SUCCEEDED once, duplicates only as resumptions, events 1..N without gap or repeat', async () => {
    const store = kind === 'sqlite' ? { url: `sqlite:${join(dir, 'craton.sqlite')}`, drop: async () => undefined } : await createTestStore('mysql');
    dropStore = store.drop;
    const config = join(dir, 'craton.yaml');
    await writeFile(config, `workflows:\n  plugins: [${JSON.stringify(PLUGIN)}]\n`);
    const lines = join(dir, 'executions.jsonl');
    const rootKey = randomKey();
    const env = { CRATON_DATABASE_URL: store.url, CRATON_BOOTSTRAP_KEY: rootKey, CRATON_CONFIG: config };

    const first = await startProcess(env, rootKey);
    const prefix = uniq('kill');
    const cloud = (await first.ok(`mutation { createCloud(input: { name: "${prefix}-c" }) { id } }`)).createCloud.id as string;
    const region = (await first.ok(`mutation($c: ID!) { createRegion(input: { cloudId: $c, name: "${prefix}-r" }) { id } }`, { c: cloud })).createRegion.id as string;
    await makeHosts(first as unknown as TestGateway, Array.from({ length: TARGETS }, (_, i) => ({ regionId: region, name: `${prefix}-${i}` })));
    const started = await first.ok(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`, {
      i: { workflow: 'slow-append', target: { nameContains: prefix }, batchSize: 5, params: { file: lines, sleepMs: 300 } },
    });
    const id = started.startWorkflow.id as string;
    const progress = `query($id: ID!) { workflowRun(id: $id) { status progress { succeeded running } } }`;

    // Kill it while some targets are done and others are mid-task: just after a batch after the first
    // started (the targets of a batch start, and end, together), well before its tasks end.
    const atKill = await waitFor(async () => {
      const r = (await first.ok(progress, { id })).workflowRun;
      return r.progress.succeeded >= 5 && r.progress.succeeded % 5 === 0 && r.progress.running >= 1 ? r : null;
    }, 'some targets to succeed', 20_000);
    await new Promise((r) => setTimeout(r, 100));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(atKill.status).toBe('RUNNING');
    expect(atKill.progress.succeeded).toBeLessThan(TARGETS);

    const second = await startProcess(env, rootKey);
    const done = await waitFor(async () => {
      const r = (await second.ok(progress, { id })).workflowRun;
      return ['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED'].includes(r.status) ? r : null;
    }, 'the run to finish in the new process', 30_000);
    expect(done.status, second.output()).toBe('SUCCEEDED');

    const data = await second.ok(`query($id: ID!) { workflowRun(id: $id) {
      targets(first: 100) { edges { node { deviceId deviceName status } } }
      events(first: 1000) { sequence type deviceId task data }
    } }`, { id });
    const targets: Array<{ deviceId: string; deviceName: string; status: string }> = data.workflowRun.targets.edges.map((e: { node: never }) => e.node);
    expect(targets.map((t) => t.status)).toEqual(Array(TARGETS).fill('SUCCEEDED'));
    const events: Array<{ sequence: number; type: string; deviceId: string | null; task: string | null; data: any }> = data.workflowRun.events;
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('RUN_FINISHED');
    expect(events.filter((e) => e.type === 'RUN_RESUMED')).toHaveLength(1);
    const succeededEvents = events.filter((e) => e.type === 'TARGET_SUCCEEDED').map((e) => e.deviceId);
    expect(succeededEvents.sort()).toEqual(targets.map((t) => t.deviceId).sort()); // each target exactly once

    // Executions, from the task's own side effects.
    const executions = (await readFile(lines, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { target: string; resumed: boolean; pid: number });
    const byTarget = new Map<string, typeof executions>();
    for (const e of executions) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
    expect([...byTarget.keys()].sort()).toEqual(targets.map((t) => t.deviceName).sort());
    for (const [target, runs] of byTarget) {
      // at most one fresh execution; any further one was told it resumes an interrupted one, in the new process
      expect(runs.filter((r) => !r.resumed).length, `${target}: ${JSON.stringify(runs)}`).toBeLessThanOrEqual(1);
      for (const r of runs.filter((x) => x.resumed)) expect(r.pid).toBe(second.child.pid);
    }
    const resumed = executions.filter((e) => e.resumed);
    expect(resumed.length).toBeGreaterThanOrEqual(1); // the targets running at the kill
    expect(resumed.length).toBe(events.filter((e) => e.type === 'TASK_STARTED' && e.data?.resumed === true).length);
  });
});
