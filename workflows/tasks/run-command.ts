/**
 * resolve-command and run-command: run an operator's executable on the gateway host once per target, with
 * the target in its arguments and environment. Never through a shell.
 */
import { z } from 'zod';
import { commandDriver, type CommandOutcome } from '../drivers/command.js';
import { TaskError, type TargetDevice, type TaskContext, type TaskDefinition } from '../types.js';

/** Default and largest `timeoutSeconds`. */
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 300;
export const MAX_COMMAND_TIMEOUT_SECONDS = 86_400;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const paramsSchema = z.looseObject({
  command: z.string().min(1).max(4096),
  args: z.array(z.string().max(131_072)).max(4096).default([]),
  timeoutSeconds: z.number().int().min(1).max(MAX_COMMAND_TIMEOUT_SECONDS).default(DEFAULT_COMMAND_TIMEOUT_SECONDS),
  env: z.record(z.string().regex(ENV_NAME, 'environment variable names are letters, digits and _, not starting with a digit'), z.string()).default({}),
  okExitCodes: z.array(z.number().int().min(0).max(255)).min(1).max(256).default([0]),
});

/** The run-command parameters, validated with their defaults. */
export type RunCommandParams = z.infer<typeof paramsSchema>;

/** What resolve-command provides as `command`: what will run for this target. */
export interface ResolvedCommand {
  /** Absolute path of the executable. */
  path: string;
  /** Arguments after placeholder substitution (argv[1..]). */
  args: string[];
}

/** What run-command provides as `output`. */
export type CommandOutput = Omit<CommandOutcome, 'timedOut'>;

/** Validates the run's parameters; `InvalidParameter` (not retryable) naming the first bad one. */
export function readCommandParams(ctx: Pick<TaskContext, 'params'>): RunCommandParams {
  const result = paramsSchema.safeParse(ctx.params);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw TaskError.nonRetryable(`parameter ${issue.path.join('.')}: ${issue.message}`, 'InvalidParameter');
}

const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/**
 * Substitutes the placeholders of one argument for a target: `{{name}}`, `{{ip}}`, `{{id}}` (its global
 * id) and `{{vars.KEY}}` (a resolved variable; non-strings as JSON; `KEY` may go on into the value, e.g.
 * `{{vars.capacity.memory_mb}}`). The result stays one argv element, whatever it contains. Throws
 * `InvalidParameter` for an unknown placeholder and `MissingVariable` (not retryable) for a value the
 * target lacks (no IP address, no such variable): running with an empty argument could widen what a
 * command acts on (think `--limit ''`).
 */
export function expandArg(arg: string, target: TargetDevice): string {
  return arg.replace(PLACEHOLDER, (_, name: string) => {
    if (name === 'name') return target.name;
    if (name === 'id') return target.id;
    if (name === 'ip') {
      if (!target.ipAddress) throw TaskError.nonRetryable(`{{ip}}: device ${target.name} has no IP address`, 'MissingVariable', { placeholder: name });
      return target.ipAddress;
    }
    if (name.startsWith('vars.') && name.length > 5) {
      const value = lookupVariable(target.variables, name.slice(5));
      if (value === undefined || value === null) {
        throw TaskError.nonRetryable(`{{${name}}}: device ${target.name} has no variable ${name.slice(5)}`, 'MissingVariable', { placeholder: name });
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    throw TaskError.nonRetryable(`unknown placeholder {{${name}}} in args; use {{name}}, {{ip}}, {{id}} or {{vars.KEY}}`, 'InvalidParameter', { placeholder: name });
  });
}

/** A variable by key, or by the longest key that prefixes `path` followed by a path into its value. */
function lookupVariable(variables: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(variables, path)) return variables[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i >= 1; i--) {
    const key = parts.slice(0, i).join('.');
    if (!Object.hasOwn(variables, key)) continue;
    let value: unknown = variables[key];
    for (const part of parts.slice(i)) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  }
  return undefined;
}

/** `CRATON_VAR_<KEY>`: the key upper-cased, every character outside [A-Z0-9_] replaced by `_`. */
export function variableEnvName(key: string): string {
  return `CRATON_VAR_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/**
 * The environment of one execution, and nothing else of the gateway's (no credentials leak in): `PATH`,
 * then the run's `env`, then `CRATON_TARGET_NAME`, `CRATON_TARGET_IP` (empty without one),
 * `CRATON_TARGET_ID`, `CRATON_RUN_ID`, `CRATON_ATTEMPT`, `CRATON_RESUMED` (`1` after a crash) and one
 * `CRATON_VAR_<KEY>` per resolved variable (strings as they are, other values as JSON; keys in sorted
 * order, so of two keys that sanitise alike the one sorting last wins).
 */
export function commandEnv(ctx: Pick<TaskContext, 'target' | 'runId' | 'attempt' | 'resumed'>, path: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: path, ...extra };
  const { target } = ctx;
  for (const key of Object.keys(target.variables).sort()) {
    const value = target.variables[key];
    const text = typeof value === 'string' && !value.includes('\0') ? value : JSON.stringify(value);
    if (text !== undefined) env[variableEnvName(key)] = text;
  }
  Object.assign(env, {
    CRATON_TARGET_NAME: target.name,
    CRATON_TARGET_IP: target.ipAddress ?? '',
    CRATON_TARGET_ID: target.id,
    CRATON_RUN_ID: ctx.runId,
    CRATON_ATTEMPT: String(ctx.attempt),
    CRATON_RESUMED: ctx.resumed ? '1' : '0',
  });
  return env;
}

/** An argv as a person would type it (for logs only; it never reaches a shell). */
function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Resolves the command (absolute path or PATH lookup; must exist, be executable, and be on the gateway's
 * allowlist when one is configured) and this target's arguments, and provides them as `command`
 * ({@link ResolvedCommand}). Runs nothing, so it is safe in a dry run, where it reports the argv that
 * would run.
 */
export const resolveCommand: TaskDefinition = {
  name: 'resolve-command',
  provides: ['command'],
  safeInDryRun: true,
  timeoutMs: 30_000,
  retry: { maximumAttempts: 1 },
  async execute(ctx) {
    const params = readCommandParams(ctx);
    const path = await commandDriver(ctx).resolve(params.command);
    const args = params.args.map((a) => expandArg(a, ctx.target));
    const shown = shellQuote([path, ...args]);
    await ctx.log(ctx.dryRun ? `dry run: would run ${shown}` : `resolved ${shown}`, { path, args });
    return { command: { path, args } satisfies ResolvedCommand };
  },
};

/**
 * Runs the resolved command once for the target (see {@link commandEnv} for its environment), killing it
 * after `timeoutSeconds` or when the run is cancelled (SIGTERM to its process group, SIGKILL a few
 * seconds later). Provides `output` ({@link CommandOutput}: exit code, the last 16 KiB of stdout and
 * stderr, duration). An exit code outside `okExitCodes` is a `CommandFailed` TaskError, a timeout a
 * `CommandTimeout` (both retryable: the definition's retry policy decides, by default one attempt), with
 * the output in the failure's details. After a crash it runs the command again (with `CRATON_RESUMED=1`):
 * commands should be idempotent, as Ansible playbooks are meant to be.
 */
export const runCommandTask: TaskDefinition = {
  name: 'run-command',
  requires: ['command'],
  provides: ['output'],
  safeInDryRun: false,
  // The command's own timeout (timeoutSeconds) ends it first; this only bounds a runaway attempt.
  timeoutMs: (MAX_COMMAND_TIMEOUT_SECONDS + 120) * 1000,
  retry: { maximumAttempts: 1 },
  async execute(ctx) {
    const params = readCommandParams(ctx);
    const planned = ctx.inputs.command as ResolvedCommand | undefined;
    if (!planned || typeof planned.path !== 'string' || !Array.isArray(planned.args)) {
      throw TaskError.nonRetryable('input `command` (from resolve-command) is missing or malformed', 'InvalidParameter');
    }
    const driver = commandDriver(ctx);
    // Vetted again: the allowlist of the process running this attempt is the one that counts.
    const path = await driver.resolve(planned.path);
    if (ctx.resumed) await ctx.log('resumed after an interruption: running the command again (CRATON_RESUMED=1)');
    const outcome = await driver.run({
      path, args: planned.args, env: commandEnv(ctx, driver.path, params.env), timeoutMs: params.timeoutSeconds * 1000, signal: ctx.signal,
    });
    const { timedOut, ...output } = outcome;
    const summary = { exitCode: output.exitCode, signal: output.signal, durationMs: output.durationMs };
    if (timedOut) {
      throw new TaskError(`${path} ran longer than ${params.timeoutSeconds} s and was killed (${output.signal ?? `exit ${output.exitCode}`})`, 'CommandTimeout', true, output);
    }
    if (output.exitCode === null || !params.okExitCodes.includes(output.exitCode)) {
      const how = output.exitCode === null ? `was killed by ${output.signal}` : `exited with ${output.exitCode}`;
      const last = output.stderr.trim().split('\n').at(-1)?.slice(0, 300);
      throw new TaskError(`${path} ${how}${last ? `: ${last}` : ''}`, 'CommandFailed', true, output);
    }
    await ctx.log(`${path} exited with ${output.exitCode} after ${output.durationMs} ms`, summary);
    return { output };
  },
};
