/**
 * verify-host-empty: check that no server is left on the target's compute host.
 */
import { openstackError } from '../../drivers/openstack.js';
import type { TaskDefinition } from '../../types.js';
import { openstackDriver, resolveComputeHost } from './common.js';

/** What the check provides as `verification`. */
export interface HostVerification {
  host: string;
  empty: boolean;
  serversRemaining: Array<{ id: string; name: string; status: string }>;
  serviceStatus: string;
  checkedAt: string;
}

/**
 * Lists the servers still on the host (all projects) and provides `verification`. Throws `HostNotEmpty`
 * (retryable: a migration may still be finishing) when any remain, except in a dry run, where nothing
 * was moved and it reports what a real run would have to move instead. Read-only, so safe in dry runs and
 * on resumption. Resolves the target itself (2–4 GETs in all), so it needs no input and also reports the
 * service's current status.
 */
export const verifyHostEmpty: TaskDefinition = {
  name: 'verify-host-empty',
  provides: ['verification'],
  safeInDryRun: true,
  timeoutMs: 60_000,
  async execute(ctx) {
    const driver = openstackDriver(ctx);
    const ref = await resolveComputeHost(driver, ctx.target, ctx.signal);
    const servers = await driver.nova.listServersOnHost(ref.host, ctx.signal);
    const verification: HostVerification = {
      host: ref.host,
      empty: servers.length === 0,
      serversRemaining: servers.map((s) => ({ id: s.id, name: s.name, status: s.status })),
      serviceStatus: ref.service.status,
      checkedAt: new Date(driver.now()).toISOString(),
    };
    if (verification.empty) {
      await ctx.log(`${ref.host} runs no servers`, { serviceStatus: ref.service.status });
    } else if (ctx.dryRun) {
      await ctx.log(`dry run: ${servers.length} server(s) on ${ref.host} would be live-migrated`, { servers: verification.serversRemaining });
    } else {
      throw openstackError('HostNotEmpty', `${servers.length} server(s) still on ${ref.host}: ${servers.map((s) => `${s.name} (${s.status})`).join(', ')}`, true, {
        host: ref.host, servers: verification.serversRemaining,
      });
    }
    return { verification };
  },
};
