/**
 * drain-compute-host: take a compute host out of service by moving every server off it.
 */
import { PERMANENT_OPENSTACK_ERRORS } from '../../drivers/openstack.js';
import { disableComputeService, liveMigrateServers, verifyHostEmpty } from '../../tasks/openstack/index.js';
import type { RetryPolicy, WorkflowDefinition } from '../../types.js';

const permanent = { nonRetryableErrorTypes: PERMANENT_OPENSTACK_ERRORS };

/** Per-task retry policies: quick for API calls, slow for migrations (each attempt may take minutes). */
export const DRAIN_RETRY: Record<'disable' | 'migrate' | 'verify', RetryPolicy> = {
  disable: { maximumAttempts: 5, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, ...permanent },
  migrate: { maximumAttempts: 3, initialIntervalMs: 30_000, backoffCoefficient: 2, maximumIntervalMs: 300_000, ...permanent },
  verify: { maximumAttempts: 4, initialIntervalMs: 15_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, ...permanent },
};

/**
 * Per target compute host (matched to Nova by device name or its `nova_host` variable):
 * 1. `disable-compute-service` with the `reason` (tagged with the run id); revert re-enables it if this
 *    run disabled it;
 * 2. `live-migrate-servers`, `maxParallelMigrations` at a time; revert migrates them back only with
 *    `revertMigrations`;
 * 3. `verify-host-empty`.
 *
 * When a task's retries run out, the completed ones are reverted in reverse order (so the service is
 * enabled again) and the target goes to MANUAL with the failure attached: a half-drained host needs a
 * person. A dry run performs only the read-only check and reports how many servers would move; it sends
 * no PUT or POST to Nova.
 */
export const drainComputeHost: WorkflowDefinition = {
  name: 'drain-compute-host',
  kind: 'REMEDIATION',
  description:
    'Disables the nova-compute service of each host, live-migrates every server off it and verifies it is empty; on failure re-enables the service and hands the host to an operator.',
  parameters: {
    reason: {
      type: 'string',
      description: 'Why the host is drained; stored as the service\'s disabled_reason (with the run id appended, 255 characters at most).',
      required: true,
    },
    maxParallelMigrations: {
      type: 'integer',
      description: 'Live migrations in flight at once per host (1–32).',
      default: 2,
    },
    migrationTimeoutSeconds: {
      type: 'integer',
      description: 'How long one live migration may take before the attempt fails (it keeps running in Nova).',
      default: 1800,
    },
    revertMigrations: {
      type: 'boolean',
      description: 'On a failed drain, also migrate the moved servers back to the host (after re-enabling it).',
      default: false,
    },
  },
  tasks: [
    { ...disableComputeService, retry: DRAIN_RETRY.disable },
    { ...liveMigrateServers, retry: DRAIN_RETRY.migrate },
    { ...verifyHostEmpty, retry: DRAIN_RETRY.verify },
  ],
  onExhausted: 'MANUAL',
  resumable: true,
};
