/**
 * disable-compute-service: stop the scheduler from placing new servers on the target's compute host.
 */
import { z } from 'zod';
import type { TaskContext, TaskDefinition } from '../../types.js';
import { disabledReasonFor, openstackDriver, readParams, resolveComputeHost, type DisabledService } from './common.js';

const paramsSchema = z.looseObject({ reason: z.string().trim().min(1, 'give a reason (it is shown in `openstack compute service list`)') });

/**
 * Disables the host's nova-compute service with `disabled_reason` = the run's `reason` parameter tagged
 * `[craton run <runId>]`, and provides `service` ({@link DisabledService}).
 *
 * Always reads the service first (which covers `ctx.resumed` and retries after a lost response):
 * - already disabled with this run's reason: nothing sent, `disabledByUs: true` (a crash after the PUT);
 * - already disabled otherwise (an operator, another run): nothing sent, `disabledByUs: false`, so the
 *   revert leaves it disabled;
 * - enabled: one PUT /os-services/{id}.
 *
 * Revert re-enables the service only if this run disabled it and it still carries this run's reason.
 */
export const disableComputeService: TaskDefinition = {
  name: 'disable-compute-service',
  provides: ['service'],
  timeoutMs: 60_000,
  async execute(ctx) {
    const { reason } = readParams(ctx, paramsSchema);
    const driver = openstackDriver(ctx);
    const { host, service } = await resolveComputeHost(driver, ctx.target, ctx.signal);
    const ours = disabledReasonFor(reason, ctx.runId);
    if (service.status === 'disabled') {
      const disabledByUs = service.disabledReason === ours;
      await ctx.log(
        disabledByUs
          ? `nova-compute on ${host} is already disabled by this run${ctx.resumed ? ' (resumed)' : ''}; not disabling again`
          : `nova-compute on ${host} was already disabled (${service.disabledReason ?? 'no reason'}); leaving it as it is`,
        { serviceId: service.id, resumed: ctx.resumed },
      );
      const since = disabledByUs && service.updatedAt ? service.updatedAt : new Date(driver.now()).toISOString();
      return { service: { serviceId: service.id, host, disabledByUs, disabledReason: service.disabledReason, since } satisfies DisabledService };
    }
    const updated = await driver.nova.disableComputeService(service.id, ours, ctx.signal);
    await ctx.log(`disabled nova-compute on ${host}`, { serviceId: service.id, reason: ours });
    const since = updated.updatedAt ?? new Date(driver.now()).toISOString();
    return { service: { serviceId: service.id, host, disabledByUs: true, disabledReason: ours, since } satisfies DisabledService };
  },
  async revert(ctx) {
    const recorded = ctx.result?.service as DisabledService | undefined;
    if (recorded && !recorded.disabledByUs) {
      await ctx.log(`leaving nova-compute on ${recorded.host} disabled: it was disabled before this run`);
      return;
    }
    await reenableIfOurs(ctx);
  },
};

/**
 * Re-enables the target's nova-compute service if it is disabled with this run's reason; otherwise
 * leaves it and logs why. Shared with live-migrate-servers' revert, which must re-enable before
 * migrating servers back.
 */
export async function reenableIfOurs(ctx: TaskContext): Promise<void> {
  const { reason } = readParams(ctx, paramsSchema);
  const driver = openstackDriver(ctx);
  const { host, service } = await resolveComputeHost(driver, ctx.target, ctx.signal);
  if (service.status !== 'disabled') return;
  if (service.disabledReason !== disabledReasonFor(reason, ctx.runId)) {
    await ctx.log(`leaving nova-compute on ${host} disabled: its reason changed to '${service.disabledReason ?? ''}'`);
    return;
  }
  await driver.nova.enableComputeService(service.id, ctx.signal);
  await ctx.log(`re-enabled nova-compute on ${host}`, { serviceId: service.id });
}
