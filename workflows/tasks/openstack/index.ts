/**
 * The OpenStack tasks: I/O steps against Keystone, Nova and Placement through `drivers.openstack`.
 */
export { collectHypervisorFacts, summarise, type CapacityDetails, type CapacitySummary, type HypervisorFacts, type UsedTotal } from './collect-hypervisor-facts.js';
export { disableComputeService, reenableIfOurs } from './disable-compute-service.js';
export { liveMigrateServers, type MigratedServer } from './live-migrate-servers.js';
export { verifyHostEmpty, type HostVerification } from './verify-host-empty.js';
export {
  NOVA_HOST_VARIABLE,
  disabledReasonFor,
  novaHostName,
  openstackDriver,
  resolveComputeHost,
  type ComputeHostRef,
  type DisabledService,
} from './common.js';
