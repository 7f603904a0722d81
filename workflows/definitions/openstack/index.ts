/**
 * The built-in OpenStack workflows. They need `drivers.openstack` (an OpenStackDriver) at run time.
 */
import type { WorkflowDefinition } from '../../types.js';
import { auditCapacity } from './audit-capacity.js';
import { evacuateHost } from './evacuate-host.js';

export { auditCapacity } from './audit-capacity.js';
export { EVACUATE_RETRY, evacuateHost } from './evacuate-host.js';

/** Every built-in OpenStack definition, for the registry. */
export const openstackDefinitions: WorkflowDefinition[] = [auditCapacity, evacuateHost];
