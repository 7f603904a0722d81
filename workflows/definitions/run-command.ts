/**
 * run-command: run an operator's own executable on the gateway host once per target (e.g.
 * `ansible-playbook --limit {{name}} site.yml`), with the target's resolved variables in its environment.
 */
import { DEFAULT_COMMAND_TIMEOUT_SECONDS, resolveCommand, runCommandTask } from '../tasks/run-command.js';
import type { RetryPolicy, WorkflowDefinition } from '../types.js';

/** What {@link runCommandWorkflow} lets a plugin change. */
export interface RunCommandWorkflowOptions {
  /** @default 'run-command' */
  name?: string;
  description?: string;
  /** Retry policy of the execution. @default one attempt (no retry) */
  retry?: RetryPolicy;
  /** What a target becomes when the command fails. @default 'FAILED' */
  onExhausted?: 'FAILED' | 'MANUAL';
}

/**
 * Builds a run-command workflow. The built-in one runs each command once; a plugin that wants retries
 * registers its own: `definitions: [runCommandWorkflow({ name: 'run-command-retried', retry: { maximumAttempts: 3 } })]`.
 *
 * Per target: `resolve-command` (safe in a dry run: finds and vets the executable, substitutes the
 * placeholders of `args`, and in a dry run reports the argv), then `run-command` (spawns it without a
 * shell; see workflows/tasks/run-command.ts). The gateway's `workflows.commands` allowlist, when
 * configured, limits which executables may run.
 */
export function runCommandWorkflow(options: RunCommandWorkflowOptions = {}): WorkflowDefinition {
  return {
    name: options.name ?? 'run-command',
    kind: 'REMEDIATION',
    description:
      options.description ??
      'Runs an executable on the gateway host once per target, without a shell, with {{name}}, {{ip}}, {{id}} and {{vars.KEY}} substituted in its arguments and the target\'s resolved variables in its environment (CRATON_VAR_<KEY>).',
    parameters: {
      command: {
        type: 'string',
        description: 'Absolute path of the executable, or a bare name looked up on the gateway\'s PATH. Must exist and be executable (and be on the gateway\'s workflows.commands allowlist when it has one).',
        required: true,
      },
      args: {
        type: 'array',
        description: 'Arguments (strings), each passed as one argv element; {{name}}, {{ip}}, {{id}} and {{vars.KEY}} are substituted per target. No shell: $(...), ;, | and quotes stay literal.',
        default: [],
      },
      timeoutSeconds: {
        type: 'integer',
        description: `How long one execution may run before it is killed (SIGTERM, then SIGKILL), 1 to 86400.`,
        default: DEFAULT_COMMAND_TIMEOUT_SECONDS,
      },
      env: {
        type: 'object',
        description: 'Extra environment variables (name → string). The command gets PATH, these, and the CRATON_* variables of the target; nothing else of the gateway\'s environment.',
        default: {},
      },
      okExitCodes: {
        type: 'array',
        description: 'Exit codes that count as success.',
        default: [0],
      },
    },
    tasks: [resolveCommand, { ...runCommandTask, retry: options.retry ?? runCommandTask.retry }],
    onExhausted: options.onExhausted ?? 'FAILED',
    resumable: true,
  };
}

/** The built-in run-command workflow. */
export const runCommand: WorkflowDefinition = runCommandWorkflow();
