/**
 * capacity-audit: record each compute host's capacity and load as a device variable.
 */
import { PERMANENT_OPENSTACK_ERRORS } from '../../drivers/openstack.js';
import { collectHypervisorFacts } from '../../tasks/openstack/index.js';
import type { WorkflowDefinition } from '../../types.js';

/**
 * For every target (a compute host, matched to Nova by device name or its `nova_host` variable), reads
 * the nova-compute service, vcpus/memory/disk used vs total, running VMs and Placement capacity, and
 * writes them to the device variable `audit.capacity` (see `HypervisorFacts`). Read-only: a dry run
 * performs the same reads and writes nothing back.
 */
export const capacityAudit: WorkflowDefinition = {
  name: 'capacity-audit',
  kind: 'AUDIT',
  description:
    'Reads each compute host\'s nova-compute state, vcpus/memory/disk used vs total, running VMs and Placement capacity, and stores them in the device variable audit.capacity.',
  parameters: {
    includeServers: {
      type: 'boolean',
      description: 'Also record the id, name, status and flavor size of every server on the host.',
      default: false,
    },
  },
  tasks: [
    {
      ...collectHypervisorFacts,
      retry: { maximumAttempts: 3, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, nonRetryableErrorTypes: PERMANENT_OPENSTACK_ERRORS },
    },
  ],
  writeBack: { 'audit.capacity': 'facts' },
  onExhausted: 'FAILED',
  resumable: true,
};
