import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { fromGlobalId } from '../../src/ids.js';
import { gql, type Endpoint } from './client.js';

// The workflow scenarios drive the gateway's own engine (createGateway builds and starts a WorkflowService)
// through its API: startWorkflow over HTTP, workflowRunUpdated and workflowRunEvents over its graphql-ws
// endpoint. The fan-out workflow `bench-fanout` is loaded into the gateway as a plugin named in its config file.

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'PARTIAL', 'CANCELLED']);

/** Writes the gateway config file (CRATON_CONFIG) that loads the benchmark's workflow plugin; returns its path. */
export function writeGatewayConfig(dir: string): string {
  const plugin = fileURLToPath(new URL('./fanout-plugin.js', import.meta.url));
  const path = join(dir, 'craton-bench.yaml');
  writeFileSync(path, `# written by bench/run.ts\nworkflows:\n  plugins:\n    - ${JSON.stringify(plugin)}\n`);
  return path;
}

export function wsUrlOf(ep: Endpoint): string {
  return `${ep.url.replace(/^http/, 'ws')}/graphql`;
}

/** Throws unless the gateway serves the workflow API with the workflows the scenarios need. */
export async function requireWorkflows(ep: Endpoint, names: string[]): Promise<void> {
  let known: string[];
  try {
    known = (await gql<{ workflows: Array<{ name: string }> }>(ep, '{ workflows { name } }')).data.workflows.map((w) => w.name);
  } catch (err) {
    throw new Error(`the gateway does not serve the workflow API: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const missing = names.filter((n) => !known.includes(n));
  if (missing.length) throw new Error(`the gateway has no workflow ${missing.join(', ')} (it has: ${known.join(', ')})`);
}

export interface StartedRun {
  id: string;
  /** The run's key in workflow_runs. */
  key: number;
  status: string;
  totalTargets: number;
}

export async function startWorkflow(ep: Endpoint, input: Record<string, unknown>): Promise<StartedRun> {
  const res = await gql<{ startWorkflow: { id: string; status: string; progress: { total: number } } }>(
    ep, 'mutation Start($input: StartWorkflowInput!) { startWorkflow(input: $input) { id status progress { total } } }', { input },
  );
  const run = res.data.startWorkflow;
  return { id: run.id, key: Number(fromGlobalId(run.id).key), status: run.status, totalTargets: run.progress.total };
}

/**
 * Follows `workflowRunUpdated` over graphql-ws (opened before the run starts) and resolves `finished(id)` when
 * that run reaches a final status. A slow poll of `workflowRun(id)` backs the subscription up.
 */
export async function watchRuns(ep: Endpoint, workflow: string): Promise<{ finished(id: string, timeoutMs: number): Promise<{ status: string; at: number }>; close(): Promise<void> }> {
  const done = new Map<string, { status: string; at: number }>();
  const waiters = new Map<string, (r: { status: string; at: number }) => void>();
  const settle = (id: string, status: string) => {
    if (!TERMINAL.has(status) || done.has(id)) return;
    const r = { status, at: performance.now() };
    done.set(id, r);
    waiters.get(id)?.(r);
  };
  const client: Client = createClient({
    url: wsUrlOf(ep), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ep.key}` }, lazy: false, retryAttempts: 0,
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', () => reject(new Error('graphql-ws: closed before connecting')));
    setTimeout(() => reject(new Error('graphql-ws: no connection within 10 s')), 10_000).unref();
  });
  const stop = client.subscribe<{ workflowRunUpdated: { id: string; status: string } }>(
    { query: 'subscription Runs($w: String) { workflowRunUpdated(workflow: $w) { id status } }', variables: { w: workflow } },
    { next: (v) => { const r = v.data?.workflowRunUpdated; if (r) settle(r.id, r.status); }, error: () => undefined, complete: () => undefined },
  );
  await connected;
  await new Promise((r) => setTimeout(r, 200)); // let the server register the subscription
  return {
    async finished(id, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      const result = new Promise<{ status: string; at: number }>((resolve) => waiters.set(id, resolve));
      for (;;) {
        const hit = done.get(id);
        if (hit) return hit;
        if (performance.now() > deadline) throw new Error(`workflow run ${id} did not finish within ${timeoutMs} ms`);
        const tick = new Promise((r) => setTimeout(r, 1000));
        await Promise.race([result, tick]);
        if (!done.has(id)) {
          const status = (await gql<{ workflowRun: { status: string } | null }>(ep, 'query R($id: ID!) { workflowRun(id: $id) { status } }', { id })).data.workflowRun?.status;
          if (status) settle(id, status);
        }
      }
    },
    async close() {
      stop();
      await client.dispose();
    },
  };
}
