import { Worker } from 'node:worker_threads';
import { fanoutControl, hrMs } from '../lib/fanout-plugin.js';
import type { FanoutWorkerData, FanoutWorkerMessage, FanoutWorkerResult } from '../lib/fanout-worker.js';
import { hostName } from '../lib/fleet.js';
import { fmtMs } from '../lib/stats.js';
import { startWorkflow, watchRuns, wsUrlOf } from '../lib/workflows.js';
import type { Row, ScenarioContext } from './context.js';

// Scenario 4: subscription fan-out. N graphql-ws subscribers (a worker thread) follow workflowRunEvents of one
// run on the gateway's own graphql-ws endpoint while it emits M events (the `bench-fanout` workflow, loaded
// into the gateway as a plugin: one task logging M events, each persisted, then published). The subscribers connect while the run waits on a gate; the gate opens once all of them are live.
// Reported: how far behind the first subscriber each delivery arrives (p50/p99), and emit → delivery.

function waitFor<T extends FanoutWorkerMessage['type']>(worker: Worker, type: T, ms: number): Promise<Extract<FanoutWorkerMessage, { type: T }>> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`fan-out worker: no '${type}' within ${ms} ms`)); }, ms);
    const onMessage = (m: FanoutWorkerMessage) => {
      if (m.type === type) { cleanup(); resolvePromise(m as Extract<FanoutWorkerMessage, { type: T }>); }
      else if (m.type === 'result') { cleanup(); reject(new Error(`fan-out worker ended early: ${JSON.stringify(m.result).slice(0, 500)}`)); }
    };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const cleanup = () => { clearTimeout(timer); worker.off('message', onMessage); worker.off('error', onError); };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

export async function fanout(ctx: ScenarioContext): Promise<Row[]> {
  const subscribers = ctx.quick ? 100 : 1000;
  const events = ctx.quick ? 1000 : 10_000;
  const control = fanoutControl(events);
  const watcher = await watchRuns(ctx.ep, 'bench-fanout');
  let result: FanoutWorkerResult;
  let connectMs: number;
  let emitMs = 0;
  let worker: Worker | undefined;
  try {
    const run = await startWorkflow(ctx.ep, { workflow: 'bench-fanout', target: { name: hostName(0) }, params: { events } });
    const workerData: FanoutWorkerData = {
      wsUrl: wsUrlOf(ctx.ep), key: ctx.ep.key!, runId: run.id, subscribers, events, emitTimes: control.emitTimes.buffer as SharedArrayBuffer,
      connectTimeoutMs: ctx.quick ? 30_000 : 180_000, streamTimeoutMs: ctx.quick ? 60_000 : 1_200_000,
    };
    worker = new Worker(new URL('../lib/fanout-worker.js', import.meta.url), { workerData });
    ctx.log(`  ${subscribers} subscribers connecting to run ${run.key}`);
    connectMs = (await waitFor(worker, 'ready', workerData.connectTimeoutMs + 5_000)).connectMs;
    ctx.log(`  all live after ${(connectMs / 1000).toFixed(1)} s; emitting ${events} events`);
    const resultP = waitFor(worker, 'result', workerData.streamTimeoutMs + 10_000);
    worker.postMessage({ type: 'go' });
    const go = hrMs();
    control.open();
    const fin = await watcher.finished(run.id, workerData.streamTimeoutMs);
    if (fin.status !== 'SUCCEEDED') ctx.log(`WARNING: the fan-out run ended ${fin.status}`);
    // Emission time: from the gate to the last event's emit call (the task writes each emit time).
    emitMs = control.emitTimes[events - 1]! - go;
    result = (await resultP).result;
  } finally {
    await worker?.terminate();
    await watcher.close();
  }
  const p99 = result.behindFirst.p99;
  const ok = result.completed === subscribers && result.logDeliveries === subscribers * events && !result.timedOut;
  return [{
    scenario: `4 fan-out ${subscribers} subs × ${events / 1000}k events`, store: ctx.storeName, size: `${subscribers}×${events}`,
    ours: `behind first p50 ${fmtMs(result.behindFirst.p50)} p99 ${fmtMs(p99)}`, oursValue: p99,
    baseline: '— (absolute target)', baselineValue: null, unit: 'ms p99 behind first', ratio: null,
    sql: '—', target: 'p99 ≤ 50 ms', pass: ok && p99 <= 50,
    notes: `emit→delivery p50 ${fmtMs(result.emitToDelivery.p50)} p99 ${fmtMs(result.emitToDelivery.p99)}; ` +
      `emitted in ${(emitMs / 1000).toFixed(1)} s (${Math.round(events / (emitMs / 1000))} events/s), all delivered in ${(result.streamMs / 1000).toFixed(1)} s ` +
      `(${Math.round(result.logDeliveries / (result.streamMs / 1000))} deliveries/s); ${result.completed}/${subscribers} completed` +
      (ok ? '' : `; INCOMPLETE: ${result.logDeliveries}/${subscribers * events} deliveries, ${result.failed} failed, ${result.errors.join(' | ').slice(0, 300)}`),
    details: { ...result, events, connectMs, emitMs },
  }];
}
