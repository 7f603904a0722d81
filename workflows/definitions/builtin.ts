import { TaskError, type WorkflowDefinition } from '../types.js';
import { runCommand } from './run-command.js';

/**
 * Built-in workflows that need no external system: `noop` (benchmarks measure the engine's own cost with
 * it), `echo-facts` (the smallest audit: computes a fact from the target and writes it back as a variable),
 * `test-remediation` (exercises retries, revert and failure handling end to end; not for production), and
 * `run-command` (runs an operator's executable on the gateway host per target; see ./run-command.ts).
 */

/** AUDIT with one task that does nothing: the engine's overhead per target, nothing else. */
export const noop: WorkflowDefinition = {
  name: 'noop',
  kind: 'AUDIT',
  description: 'Does nothing on each target. Measures the engine itself (benchmarks, smoke tests).',
  parameters: {},
  variables: [],
  tasks: [{ name: 'noop', safeInDryRun: true, execute: async () => undefined }],
};

/** AUDIT that writes `audit.name_length` (the length of the device name) back to each device. */
export const echoFacts: WorkflowDefinition = {
  name: 'echo-facts',
  kind: 'AUDIT',
  description: 'Computes facts from each target (the length of its name) and writes them back as the variable audit.name_length.',
  parameters: {},
  tasks: [
    {
      name: 'measure',
      provides: ['nameLength'],
      safeInDryRun: true,
      execute: async (ctx) => ({ nameLength: ctx.target.name.length }),
    },
  ],
  writeBack: { 'audit.name_length': 'nameLength' },
};

/**
 * A remediation for tests of the engine through the API: `mark` (revertible), `apply`, `verify`. The
 * parameter `failAt` makes `apply` or `verify` fail (non-retryable, type InjectedFailure), which reverts
 * `mark` and fails the target.
 */
export const testRemediation: WorkflowDefinition = {
  name: 'test-remediation',
  kind: 'REMEDIATION',
  description: 'Test-only remediation (mark, apply, verify) whose failAt parameter injects a failure; mark is reverted on failure.',
  parameters: {
    failAt: { type: 'string', description: 'Task that fails on every target: none, apply or verify.', enum: ['none', 'apply', 'verify'], default: 'none' },
  },
  tasks: [
    {
      name: 'mark',
      provides: ['marker'],
      execute: async (ctx) => ({ marker: `${ctx.runId}:${ctx.target.name}` }),
      revert: async (ctx) => ctx.log(`removed marker ${String(ctx.result?.marker)}`, { marker: ctx.result?.marker }),
    },
    {
      name: 'apply',
      requires: ['marker'],
      retry: { maximumAttempts: 2, initialIntervalMs: 10, maximumIntervalMs: 10 },
      execute: async (ctx) => {
        if (ctx.params.failAt === 'apply') throw TaskError.nonRetryable('injected failure in apply', 'InjectedFailure');
      },
    },
    {
      name: 'verify',
      safeInDryRun: true,
      execute: async (ctx) => {
        if (ctx.params.failAt === 'verify') throw TaskError.nonRetryable('injected failure in verify', 'InjectedFailure');
      },
    },
  ],
};

export const builtinDefinitions: WorkflowDefinition[] = [noop, echoFacts, testRemediation, runCommand];
