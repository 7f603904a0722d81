/**
 * evacuate-host: take a compute host out of service by live-migrating every server off it.
 */
import { PERMANENT_OPENSTACK_ERRORS } from '../../drivers/openstack.js';
import { disableComputeService, liveMigrateServers, NOVA_HOST_VARIABLE, verifyHostEmpty } from '../../tasks/openstack/index.js';
import type { RetryPolicy, WorkflowDefinition } from '../../types.js';

const permanent = { nonRetryableErrorTypes: PERMANENT_OPENSTACK_ERRORS };

/**
 * Per-task retry policies: quick for API calls, slow for migrations (each attempt may take minutes; a
 * retry migrates only the servers still on the host).
 */
export const EVACUATE_RETRY: Record<'disable' | 'migrate' | 'verify', RetryPolicy> = {
  disable: { maximumAttempts: 5, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, ...permanent },
  migrate: { maximumAttempts: 3, initialIntervalMs: 30_000, backoffCoefficient: 2, maximumIntervalMs: 300_000, ...permanent },
  verify: { maximumAttempts: 4, initialIntervalMs: 15_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, ...permanent },
};

/**
 * Per target compute host (matched to Nova by device name or its `nova_host` variable):
 * 1. `disable-compute-service` (quiesce: the scheduler places nothing new there) with the `reason`
 *    tagged with the run id; its revert re-enables the service if this run disabled it;
 * 2. `live-migrate-servers`, `maxParallelMigrations` at a time, to `destinations` round-robin or where
 *    the scheduler chooses; each migration is polled to completion; a server busy in another task state
 *    (Nova's 409) is waited for; failed migrations are retried by retrying the task (3 attempts, 30 s
 *    then 60 s apart), which moves only what is still on the host; revert migrates them back only with
 *    `revertMigrations`;
 * 3. `verify-host-empty`.
 *
 * When a task's retries run out, the completed ones are reverted in reverse order (so the service is
 * enabled again) and the target goes to MANUAL with the failure attached (for a failed evacuation: every
 * failed migration and the servers that remain): a half-evacuated host needs a person. A dry run performs
 * only the read-only check and reports how many servers would move; it sends no PUT or POST to Nova.
 */
export const evacuateHost: WorkflowDefinition = {
  name: 'evacuate-host',
  kind: 'REMEDIATION',
  description:
    'Disables the nova-compute service of each host, live-migrates every server off it (optionally to given destinations) and verifies it is empty; on failure re-enables the service and hands the host to an operator (MANUAL).',
  // Tasks read only the Nova host name override from the target's variables.
  variables: [NOVA_HOST_VARIABLE],
  parameters: {
    reason: {
      type: 'string',
      description: 'Why the host is evacuated; stored as the service\'s disabled_reason (with the run id appended, 255 characters at most).',
      required: true,
    },
    destinations: {
      type: 'array',
      description: 'Compute host names to move servers to, round-robin (the evacuated host itself is skipped). Absent: the scheduler chooses.',
    },
    maxParallelMigrations: {
      type: 'integer',
      description: 'Live migrations in flight at once per host (1–32).',
      default: 2,
    },
    migrationTimeoutSeconds: {
      type: 'integer',
      description: 'How long one live migration (or the wait for a busy server) may take before the attempt fails (a migration keeps running in Nova).',
      default: 1800,
    },
    revertMigrations: {
      type: 'boolean',
      description: 'On a failed evacuation, also migrate the moved servers back to the host (after re-enabling it).',
      default: false,
    },
  },
  tasks: [
    { ...disableComputeService, retry: EVACUATE_RETRY.disable },
    { ...liveMigrateServers, retry: EVACUATE_RETRY.migrate },
    { ...verifyHostEmpty, retry: EVACUATE_RETRY.verify },
  ],
  onExhausted: 'MANUAL',
  resumable: true,
};
