/**
 * The built-in OpenStack workflows. They need `drivers.openstack` (an OpenStackDriver) at run time.
 */
import type { WorkflowDefinition } from '../../types.js';
import { capacityAudit } from './capacity-audit.js';
import { drainComputeHost } from './drain-compute-host.js';

export { capacityAudit } from './capacity-audit.js';
export { DRAIN_RETRY, drainComputeHost } from './drain-compute-host.js';

/** Every built-in OpenStack definition, for the registry. */
export const openstackDefinitions: WorkflowDefinition[] = [capacityAudit, drainComputeHost];
