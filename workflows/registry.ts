import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../src/errors.js';
import { builtinDefinitions } from './definitions/builtin.js';
import { checkParameterSpec } from './engine/params.js';
import { compileRetryPolicy, type CompiledRetryPolicy } from './engine/retry.js';
import type { TaskDefinition, WorkflowDefinition } from './types.js';

/** Names of workflows and tasks: what the API and the store accept (letters, digits, `.`, `_`, `-`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The workflows this process can run: built-ins plus plugins, each validated when it registers (unique
 * names, every `requires` provided by an earlier task, retry policies and parameters well formed), so a bad
 * definition fails start-up instead of a run. The engine reads definitions only through here.
 */
export class WorkflowRegistry {
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly policies = new Map<string, CompiledRetryPolicy[]>();

  /** Validates and adds a definition; throws TypeError naming the workflow (and task) and the broken rule. */
  register(def: WorkflowDefinition): this {
    const where = `workflow '${def?.name}'`;
    if (typeof def?.name !== 'string' || !NAME.test(def.name)) throw new TypeError(`${where}: name must match ${NAME}`);
    if (this.definitions.has(def.name)) throw new TypeError(`${where} is registered twice (workflow names are unique)`);
    if (def.kind !== 'AUDIT' && def.kind !== 'REMEDIATION') throw new TypeError(`${where}: kind must be AUDIT or REMEDIATION, got ${JSON.stringify(def.kind)}`);
    if (typeof def.description !== 'string' || !def.description) throw new TypeError(`${where}: needs a description`);
    if (def.onExhausted !== undefined && def.onExhausted !== 'FAILED' && def.onExhausted !== 'MANUAL') {
      throw new TypeError(`${where}: onExhausted must be FAILED or MANUAL, got ${JSON.stringify(def.onExhausted)}`);
    }
    for (const [name, spec] of Object.entries(def.parameters ?? {})) checkParameterSpec(def.name, name, spec);
    if (!Array.isArray(def.tasks) || def.tasks.length === 0) throw new TypeError(`${where}: needs at least one task`);
    const provided = new Set<string>();
    const seen = new Set<string>();
    const policies = def.tasks.map((task) => {
      const policy = checkTask(def.name, task, provided, seen);
      (task.provides ?? []).forEach((p) => provided.add(p));
      return policy;
    });
    for (const [key, value] of Object.entries(def.writeBack ?? {})) {
      if (!key || key.length > 255) throw new TypeError(`${where}: writeBack key ${JSON.stringify(key)} is not a valid variable key`);
      if (!provided.has(value)) throw new TypeError(`${where}: writeBack '${key}' reads '${value}', which no task provides`);
    }
    this.definitions.set(def.name, def);
    this.policies.set(def.name, policies);
    return this;
  }

  /** The definition named `name`, or undefined. */
  get(name: string): WorkflowDefinition | undefined {
    return this.definitions.get(name);
  }

  /** The definition named `name`; BAD_USER_INPUT listing the known names otherwise. */
  require(name: string, argument = 'workflow'): WorkflowDefinition {
    const def = this.definitions.get(name);
    if (!def) {
      throw new InputError(`${argument}: unknown workflow '${String(name).slice(0, 100)}'; known workflows: ${this.names().join(', ') || 'none'}`, {
        argument,
        known: this.names(),
      });
    }
    return def;
  }

  /** Every definition, by name. */
  list(): WorkflowDefinition[] {
    return this.names().map((n) => this.definitions.get(n)!);
  }

  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  /** The compiled retry policy of task `index` of workflow `name` (defaults filled in). */
  retryPolicy(name: string, index: number): CompiledRetryPolicy {
    const p = this.policies.get(name)?.[index];
    if (!p) throw new Error(`no task ${index} in workflow '${name}'`);
    return p;
  }
}

function checkTask(workflow: string, task: TaskDefinition, provided: Set<string>, seen: Set<string>): CompiledRetryPolicy {
  const where = `workflow '${workflow}', task '${task?.name}'`;
  if (typeof task?.name !== 'string' || !NAME.test(task.name)) throw new TypeError(`${where}: name must match ${NAME}`);
  if (seen.has(task.name)) throw new TypeError(`${where}: task names must be unique within a workflow`);
  seen.add(task.name);
  if (typeof task.execute !== 'function') throw new TypeError(`${where}: execute must be a function`);
  if (task.revert !== undefined && typeof task.revert !== 'function') throw new TypeError(`${where}: revert must be a function when given`);
  for (const need of task.requires ?? []) {
    if (!provided.has(need)) throw new TypeError(`${where}: requires '${need}', which no earlier task provides`);
  }
  if (task.timeoutMs !== undefined && (!Number.isFinite(task.timeoutMs) || task.timeoutMs <= 0)) {
    throw new TypeError(`${where}: timeoutMs must be a positive number, got ${JSON.stringify(task.timeoutMs)}`);
  }
  try {
    return compileRetryPolicy(task.retry);
  } catch (err) {
    throw new TypeError(`${where}: ${(err as Error).message}`);
  }
}

/** A registry of the built-in definitions plus `extra` (plugins, the OpenStack definitions, test workflows). */
export function createRegistry(extra: WorkflowDefinition[] = []): WorkflowRegistry {
  const registry = new WorkflowRegistry();
  for (const def of [...builtinDefinitions, ...extra]) registry.register(def);
  return registry;
}

/**
 * Loads plugin modules named in configuration (paths relative to `baseDir`, or package names). A plugin
 * exports `definitions: WorkflowDefinition[]`, or a default export of one definition or an array of them.
 * Throws naming the module when it exports neither.
 */
export async function loadPlugins(specifiers: readonly string[], baseDir = process.cwd()): Promise<WorkflowDefinition[]> {
  const out: WorkflowDefinition[] = [];
  for (const spec of specifiers) {
    const url = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(baseDir, spec)).href : spec;
    const mod = (await import(url)) as { definitions?: unknown; default?: unknown };
    const found = mod.definitions ?? mod.default;
    const defs = Array.isArray(found) ? found : found && typeof found === 'object' ? [found] : [];
    if (!defs.length) throw new TypeError(`workflow plugin '${spec}' exports no definitions (export \`definitions\` or a default)`);
    out.push(...(defs as WorkflowDefinition[]));
  }
  return out;
}
