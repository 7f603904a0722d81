// Definitions, the registry, parameters, retry policies and the run state table: no store needed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadConfigFile } from '../../src/config-file.js';
import { CratonError } from '../../src/errors.js';
import { validateParams } from '../../workflows/engine/params.js';
import { backoffMs, compileRetryPolicy, toFailure } from '../../workflows/engine/retry.js';
import { IllegalTransitionError, runTransition, targetTransition } from '../../workflows/engine/states.js';
import { createRegistry, loadPlugins } from '../../workflows/registry.js';
import { TaskError, type WorkflowDefinition } from '../../workflows/types.js';

const def = (over: Partial<WorkflowDefinition>): WorkflowDefinition => ({
  name: 'x', kind: 'AUDIT', description: 'test', parameters: {}, tasks: [{ name: 't', execute: async () => undefined }], ...over,
});

describe('run and target states', () => {
  it('allows PENDING → RUNNING → SUCCEEDED/PARTIAL/FAILED and RUNNING → CANCELLING → CANCELLED', () => {
    expect(runTransition('PENDING', 'RUNNING')).toBe('RUNNING');
    for (const end of ['SUCCEEDED', 'PARTIAL', 'FAILED'] as const) expect(runTransition('RUNNING', end)).toBe(end);
    expect(runTransition('RUNNING', 'CANCELLING')).toBe('CANCELLING');
    expect(runTransition('CANCELLING', 'CANCELLED')).toBe('CANCELLED');
  });

  it('rejects every illegal transition, naming both states', () => {
    expect(() => runTransition('SUCCEEDED', 'RUNNING')).toThrow(IllegalTransitionError);
    expect(() => runTransition('PENDING', 'SUCCEEDED')).toThrow('illegal run transition PENDING → SUCCEEDED');
    expect(() => runTransition('CANCELLING', 'SUCCEEDED')).toThrow(IllegalTransitionError);
    expect(() => runTransition('CANCELLED', 'RUNNING')).toThrow(IllegalTransitionError);
    expect(() => runTransition('FAILED', 'CANCELLING')).toThrow(IllegalTransitionError);
    expect(() => targetTransition('SUCCEEDED', 'FAILED')).toThrow('illegal target transition SUCCEEDED → FAILED');
    expect(() => targetTransition('PENDING', 'SUCCEEDED')).toThrow(IllegalTransitionError);
  });
});

describe('the registry', () => {
  it('lists the built-ins noop, echo-facts, run-command and test-remediation', () => {
    expect(createRegistry().names()).toEqual(['echo-facts', 'noop', 'run-command', 'test-remediation']);
  });

  it('refuses two workflows with one name', () => {
    expect(() => createRegistry([def({ name: 'noop' })])).toThrow("workflow 'noop' is registered twice");
  });

  it('refuses a task whose requires no earlier task provides', () => {
    const bad = def({ tasks: [{ name: 'a', requires: ['host'], execute: async () => undefined }, { name: 'b', provides: ['host'], execute: async () => ({ host: 1 }) }] });
    expect(() => createRegistry([bad])).toThrow("workflow 'x', task 'a': requires 'host', which no earlier task provides");
  });

  it('refuses retry policies that cannot work, with a message naming the field', () => {
    const withRetry = (retry: object) => def({ tasks: [{ name: 't', retry, execute: async () => undefined }] });
    expect(() => createRegistry([withRetry({ maximumAttempts: 0 })])).toThrow("workflow 'x', task 't': RetryPolicy.maximumAttempts must be a positive integer, got 0");
    expect(() => createRegistry([withRetry({ backoffCoefficient: 0.5 })])).toThrow('RetryPolicy.backoffCoefficient must be a number ≥ 1');
    expect(() => createRegistry([withRetry({ initialIntervalMs: 500, maximumIntervalMs: 100 })])).toThrow('RetryPolicy.maximumIntervalMs must be a number ≥ initialIntervalMs');
  });

  it('refuses writeBack of a value no task provides, duplicate task names and parameter defaults of the wrong type', () => {
    expect(() => createRegistry([def({ writeBack: { 'a.b': 'nope' } })])).toThrow("writeBack 'a.b' reads 'nope', which no task provides");
    expect(() => createRegistry([def({ tasks: [{ name: 't', execute: async () => undefined }, { name: 't', execute: async () => undefined }] })])).toThrow('task names must be unique');
    expect(() => createRegistry([def({ parameters: { n: { type: 'integer', description: 'n', default: 'x' } } })])).toThrow("default of parameter 'n' must be an integer");
  });

  it('loads plugins named in configuration, relative to the config file, and refuses modules without definitions', async () => {
    const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
    const registry = createRegistry(await loadPlugins(['./hello-plugin.mjs'], dir));
    expect(registry.get('hello')?.writeBack).toEqual({ 'hello.greeting': 'greeting' });
    await expect(loadPlugins(['./empty-plugin.mjs'], dir)).rejects.toThrow("workflow plugin './empty-plugin.mjs' exports no definitions");
  });

  it('reads the run-command allowlist from workflows.commands, refusing relative paths and unknown keys under workflows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'craton-cfg-'));
    try {
      const file = async (text: string) => {
        const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
        await writeFile(path, text);
        return path;
      };
      expect(loadConfigFile(await file('workflows:\n  commands: [/usr/bin/ansible-playbook]\n')).workflowCommands).toEqual(['/usr/bin/ansible-playbook']);
      expect(loadConfigFile(await file('workflows:\n  plugins: []\n')).workflowCommands).toBeUndefined();
      const relative = await file('workflows:\n  commands: [bin/tool]\n');
      expect(() => loadConfigFile(relative)).toThrow(`${relative}: workflows.commands.0: must be an absolute path`);
      const misspelt = await file('workflows:\n  comands: [/bin/true]\n');
      expect(() => loadConfigFile(misspelt)).toThrow(/comands/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the workflow lease from CRATON_WORKFLOW_LEASE_MS (default 30 s), refusing values below 300 ms', () => {
    expect(loadConfig({}).workflowLeaseMs).toBe(30_000);
    expect(loadConfig({ CRATON_WORKFLOW_LEASE_MS: '1500' }).workflowLeaseMs).toBe(1500);
    expect(() => loadConfig({ CRATON_WORKFLOW_LEASE_MS: '10' })).toThrow(/^CRATON_WORKFLOW_LEASE_MS: /);
  });

  it('answers an unknown workflow with BAD_USER_INPUT listing the known names', () => {
    let err: CratonError | undefined;
    try {
      createRegistry().require('nope');
    } catch (e) {
      err = e as CratonError;
    }
    expect(err?.code).toBe('BAD_USER_INPUT');
    expect(err?.message).toBe("workflow: unknown workflow 'nope'; known workflows: echo-facts, noop, run-command, test-remediation");
  });
});

describe('run parameters', () => {
  const spec = def({
    parameters: {
      threshold: { type: 'number', description: 'limit', required: true },
      mode: { type: 'string', description: 'mode', enum: ['fast', 'safe'], default: 'safe' },
    },
  });

  it('fills in defaults and keeps valid values', () => {
    expect(validateParams(spec, { threshold: 0.8 })).toEqual({ threshold: 0.8, mode: 'safe' });
  });

  it('names the parameter that is missing, unknown, of the wrong type or not allowed', () => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { return [(e as CratonError).code, (e as Error).message]; } return null; };
    expect(code(() => validateParams(spec, {}))).toEqual(['BAD_USER_INPUT', 'params.threshold is required: limit']);
    expect(code(() => validateParams(spec, { threshold: 1, extra: 1 }))).toEqual(['BAD_USER_INPUT', "params.extra: 'x' has no parameter 'extra' (it has: threshold, mode)"]);
    expect(code(() => validateParams(spec, { threshold: 'high' }))).toEqual(['BAD_USER_INPUT', 'params.threshold must be a number, got "high"']);
    expect(code(() => validateParams(spec, { threshold: 1, mode: 'slow' }))).toEqual(['BAD_USER_INPUT', 'params.mode must be one of "fast", "safe", got "slow"']);
  });
});

describe('retry policies', () => {
  it('grows the delay by the coefficient up to the cap', () => {
    const p = compileRetryPolicy({ initialIntervalMs: 100, backoffCoefficient: 3, maximumIntervalMs: 1000 });
    expect([1, 2, 3, 4].map((a) => backoffMs(p, a))).toEqual([100, 300, 900, 1000]);
  });

  it('records failures as data: TaskError keeps its type, listed types are not retryable, plain errors are', () => {
    const p = compileRetryPolicy({ nonRetryableErrorTypes: ['Quota'] });
    expect(toFailure(new TaskError('over quota', 'Quota'), p, 't', 1)).toEqual({ type: 'Quota', message: 'over quota', retryable: false, task: 't', attempt: 1 });
    expect(toFailure(new Error('boom'), p)).toEqual({ type: 'Error', message: 'boom', retryable: true });
    expect(toFailure(TaskError.nonRetryable('no', 'Gone'), p).retryable).toBe(false);
  });
});
