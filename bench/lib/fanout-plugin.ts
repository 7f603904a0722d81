// A workflow plugin (workflows/registry.ts loadPlugins) that the benchmark names in the gateway's config file
// (CRATON_CONFIG: `workflows: { plugins: [<this file>] }`), so the fan-out scenario runs on the gateway's own
// engine and graphql-ws endpoint. Importing it has no side effects.
import type { WorkflowDefinition } from '../../workflows/types.js';

/**
 * What the fan-out scenario controls inside its workflow: the gate the task waits on (opened once every
 * subscriber is live), and where it writes the time it emits each event (shared memory the subscriber worker
 * reads to compute emit → delivery). Kept on globalThis, so that the copy of this module the gateway loads and
 * the benchmark's copy see the same object whatever their module URLs.
 */
export interface FanoutControl {
  gate: Promise<void>;
  open(): void;
  /** Emit time of event k (process.hrtime, ms), written just before the k-th event is emitted. */
  emitTimes: Float64Array;
}

const CONTROL_KEY = Symbol.for('craton.bench.fanout');

/** Arms the control for a run that will emit `events` events. */
export function fanoutControl(events: number): FanoutControl {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const control: FanoutControl = { gate, open, emitTimes: new Float64Array(new SharedArrayBuffer(8 * Math.max(1, events))) };
  (globalThis as Record<symbol, unknown>)[CONTROL_KEY] = control;
  return control;
}

/** Monotonic time in ms shared by all threads of the process (worker timestamps compare with it). */
export function hrMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * `bench-fanout`: one task on one target that waits for the gate, then emits `events` TASK_LOG events
 * (message = their index), each persisted and published by the engine like any other event.
 */
export const fanoutWorkflow: WorkflowDefinition = {
  name: 'bench-fanout',
  kind: 'AUDIT',
  description: 'Benchmark only: waits for the benchmark to open its gate, then logs `events` events as fast as the engine persists them.',
  parameters: { events: { type: 'integer', description: 'How many TASK_LOG events to emit.', required: true } },
  tasks: [{
    name: 'emit',
    safeInDryRun: true,
    timeoutMs: 30 * 60_000,
    retry: { maximumAttempts: 1 },
    execute: async (ctx) => {
      const control = (globalThis as Record<symbol, unknown>)[CONTROL_KEY] as FanoutControl | undefined;
      if (!control) throw new Error('bench-fanout runs only inside the benchmark');
      await control.gate;
      const n = Number(ctx.params.events);
      for (let k = 0; k < n; k++) {
        control.emitTimes[k] = hrMs();
        await ctx.log(String(k));
      }
    },
  }],
};

export const definitions: WorkflowDefinition[] = [fanoutWorkflow];
