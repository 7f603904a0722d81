// The subscribers of the fan-out scenario, in a worker thread (their own event loop, the other core): N raw
// graphql-transport-ws sockets, each subscribed to one run's workflowRunEvents. Each `next` is stamped on
// arrival (process.hrtime, shared by all threads). Per event k: the first subscriber to receive it sets the
// reference; every later delivery records how far behind the first it arrived; every delivery records emit →
// delivery against the emit time the task wrote into shared memory. Everything stops by itself: when every
// subscription completed, or at the deadline.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { Histogram } from './stats.js';

export interface FanoutWorkerData {
  wsUrl: string;
  key: string;
  runId: string;
  subscribers: number;
  events: number;
  emitTimes: SharedArrayBuffer;
  /** Give up on connecting after this long, ms. */
  connectTimeoutMs: number;
  /** Give up on the stream after the gate opens plus this long, ms. */
  streamTimeoutMs: number;
}

export type FanoutWorkerMessage =
  | { type: 'ready'; connectMs: number }
  | { type: 'result'; result: FanoutWorkerResult };

export interface FanoutWorkerResult {
  subscribers: number;
  connected: number;
  completed: number;
  failed: number;
  errors: string[];
  /** `next` messages received in all, and log events among them. */
  received: number;
  logDeliveries: number;
  behindFirst: { p50: number; p99: number; max: number; count: number };
  emitToDelivery: { p50: number; p99: number; max: number; count: number };
  /** From the gate opening (main thread's go message) to the last completion, ms. */
  streamMs: number;
  timedOut: boolean;
}

const QUERY = 'subscription Fanout($runId: ID!) { workflowRunEvents(runId: $runId) { sequence type at message } }';
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

const data = workerData as FanoutWorkerData;
const emitTimes = new Float64Array(data.emitTimes);
const first = new Float64Array(data.events).fill(Number.NaN);
const behind = new Histogram(120_000, 0.01);
// Emit → delivery can reach minutes when the subscribers fall behind: 1 ms buckets up to 20 min.
const absolute = new Histogram(1_200_000, 1);
const sockets: WebSocket[] = [];
const errors: string[] = [];
let received = 0;
let logDeliveries = 0;
let connected = 0;
let ready = 0;
let completed = 0;
let failed = 0;
let goAt = 0;
let lastDone = 0;
let finished = false;
const started = hrMs();

function finish(timedOut: boolean): void {
  if (finished) return;
  finished = true;
  clearTimeout(connectTimer);
  clearTimeout(streamTimer);
  for (const s of sockets) s.terminate();
  const stat = (h: Histogram) => ({ p50: h.percentile(50), p99: h.percentile(99), max: h.max, count: h.count });
  const result: FanoutWorkerResult = {
    subscribers: data.subscribers, connected, completed, failed, errors: errors.slice(0, 5), received, logDeliveries,
    behindFirst: stat(behind), emitToDelivery: stat(absolute), streamMs: (lastDone || hrMs()) - goAt, timedOut,
  };
  parentPort!.postMessage({ type: 'result', result } satisfies FanoutWorkerMessage);
}

function settle(): void {
  if (completed + failed === data.subscribers) {
    lastDone = hrMs();
    finish(false);
  }
}

function subscriber(): void {
  const ws = new WebSocket(data.wsUrl, 'graphql-transport-ws');
  sockets.push(ws);
  let nexts = 0;
  let done = false;
  const fail = (why: string) => {
    if (done) return;
    done = true;
    failed += 1;
    if (errors.length < 20) errors.push(why);
    settle();
  };
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${data.key}` } })));
  ws.on('message', (raw: Buffer) => {
    const t = hrMs();
    const text = raw.toString();
    if (text.includes('"type":"next"')) {
      received += 1;
      nexts += 1;
      const m = /"message":"(\d+)"/.exec(text);
      if (m) {
        const k = Number(m[1]);
        logDeliveries += 1;
        absolute.record(t - emitTimes[k]!);
        if (Number.isNaN(first[k]!)) first[k] = t;
        else behind.record(t - first[k]!);
      }
      // RUN_STARTED, BATCH_STARTED and TASK_STARTED come before the task waits on the gate: after them the
      // subscription is live (it subscribes to the run's topic before replaying the store).
      if (nexts === 3) {
        ready += 1;
        if (ready === data.subscribers) {
          clearTimeout(connectTimer);
          parentPort!.postMessage({ type: 'ready', connectMs: hrMs() - started } satisfies FanoutWorkerMessage);
        }
      }
      return;
    }
    if (text.includes('"type":"connection_ack"')) {
      connected += 1;
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { runId: data.runId } } }));
    } else if (text.includes('"type":"complete"')) {
      if (!done) {
        done = true;
        completed += 1;
        settle();
      }
    } else if (text.includes('"type":"error"')) {
      fail(text.slice(0, 300));
    }
  });
  ws.on('error', (err) => fail(String(err)));
  ws.on('close', (code, reason) => { if (!finished) fail(`closed ${code} ${reason.toString()}`); });
}

const connectTimer = setTimeout(() => {
  errors.push(`only ${ready} of ${data.subscribers} subscribers were live after ${data.connectTimeoutMs} ms`);
  finish(true);
}, data.connectTimeoutMs);
let streamTimer: NodeJS.Timeout | undefined;

parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'go') {
    goAt = hrMs();
    streamTimer = setTimeout(() => finish(true), data.streamTimeoutMs);
  }
});

// Connect in waves of 50 so the handshakes do not all land at once.
let opened = 0;
const wave = () => {
  for (let i = 0; i < 50 && opened < data.subscribers; i++, opened++) subscriber();
  if (opened < data.subscribers && !finished) setTimeout(wave, 20);
};
wave();
