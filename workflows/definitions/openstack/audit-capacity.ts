/**
 * audit-capacity: record each compute host's capacity and load as device variables.
 */
import { PERMANENT_OPENSTACK_ERRORS } from '../../drivers/openstack.js';
import { collectHypervisorFacts, NOVA_HOST_VARIABLE } from '../../tasks/openstack/index.js';
import type { WorkflowDefinition } from '../../types.js';

/**
 * For every target (a compute host, matched to Nova by device name or its `nova_host` variable), reads
 * through Keystone v3, Nova (services, hypervisors, servers) and Placement (inventories and usages, which
 * is where capacity lives from compute microversion 2.88) and writes back two device variables:
 *
 * - `capacity` (`CapacitySummary`): `memory_mb`, `memory_mb_used`, `memory_mb_available`, `vcpus`,
 *   `vcpus_used`, `vcpus_available`, `disk_gb`, `disk_gb_used`, `disk_gb_available`, `running_vms`, plus
 *   `host`, `state`, `service_status` and `source`: searchable as `capacity.memory_mb_available` etc.
 * - `capacity_details` (`CapacityDetails`): node names, the service, Placement per resource class
 *   (allocation ratios applied), and with `includeServers` every server on the host.
 *
 * Read-only: a dry run performs the same reads and writes nothing back.
 */
export const auditCapacity: WorkflowDefinition = {
  name: 'audit-capacity',
  kind: 'AUDIT',
  description:
    'Reads each compute host\'s vcpus/memory/disk total, used and available and its running VMs (Nova hypervisors, or Placement inventories and usages) and stores them in the device variables capacity and capacity_details.',
  // Tasks read only the Nova host name override from the target's variables.
  variables: [NOVA_HOST_VARIABLE],
  parameters: {
    includeServers: {
      type: 'boolean',
      description: 'Also record the id, name, status and flavor size of every server on the host (in capacity_details.servers).',
      default: false,
    },
  },
  tasks: [
    {
      ...collectHypervisorFacts,
      retry: { maximumAttempts: 3, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, nonRetryableErrorTypes: PERMANENT_OPENSTACK_ERRORS },
    },
  ],
  writeBack: { capacity: 'capacity', capacity_details: 'details' },
  onExhausted: 'FAILED',
  resumable: true,
};
