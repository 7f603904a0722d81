/**
 * What the OpenStack tasks share: which Nova compute host a target device is, the parameters they read,
 * the value `disable-compute-service` provides, and a small bounded-concurrency pool.
 */
import { z } from 'zod';
import { openstackError, openstackDriver, type ComputeService, type OpenStackDriver } from '../../drivers/openstack.js';
import type { TargetDevice, TaskContext } from '../../types.js';

export { openstackDriver };

/**
 * The device variable that names the Nova compute host when it differs from the device name.
 *
 * NOTE(craton): a target maps to Nova by the device `name`: first as a compute service `host` (what
 * `servers?host=`, `os-services?host=` and `os-migrateLive` use), then as a `hypervisor_hostname` (the
 * node, often the FQDN), whose `service.host` is then used. A `nova_host` variable on the device (or
 * inherited from its cell/region) overrides the name.
 */
export const NOVA_HOST_VARIABLE = 'nova_host';

/** The name to look up in Nova for a device: its `nova_host` variable, else its name. */
export function novaHostName(target: TargetDevice): string {
  const override = target.variables[NOVA_HOST_VARIABLE];
  if (override === undefined || override === null) return target.name;
  if (typeof override !== 'string' || !override.trim()) {
    throw openstackError('InvalidParameter', `device ${target.name}: variable ${NOVA_HOST_VARIABLE} must be a non-empty string`, false);
  }
  return override.trim();
}

/** A target resolved to its nova-compute service. */
export interface ComputeHostRef {
  /** The compute service host. */
  host: string;
  service: ComputeService;
}

/**
 * Finds the nova-compute service of a target (see {@link NOVA_HOST_VARIABLE}). One GET when the name is a
 * service host; two or three when it is a hypervisor hostname. Throws `HostNotFound` (not retryable) when
 * Nova knows neither.
 */
export async function resolveComputeHost(driver: OpenStackDriver, target: TargetDevice, signal: AbortSignal): Promise<ComputeHostRef> {
  const name = novaHostName(target);
  const byHost = await driver.nova.getComputeService(name, signal);
  if (byHost) return { host: name, service: byHost };
  const nodes = (await driver.nova.listHypervisors(name, signal)).filter((h) => h.hypervisorHostname === name);
  const host = nodes[0]?.service.host;
  if (host) {
    const service = await driver.nova.getComputeService(host, signal);
    if (service) return { host, service };
  }
  throw openstackError('HostNotFound', `Nova has no nova-compute service or hypervisor named '${name}' (device ${target.name})`, false, {
    device: target.name, novaHost: name,
  });
}

/** Validates a task's view of the run parameters, throwing `InvalidParameter` (not retryable). */
export function readParams<T extends z.ZodType>(ctx: Pick<TaskContext, 'params'>, schema: T): z.infer<T> {
  const result = schema.safeParse(ctx.params);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw openstackError('InvalidParameter', `parameter ${issue.path.join('.')}: ${issue.message}`, false);
}

/** What `disable-compute-service` provides as `service`; `live-migrate-servers` requires it. */
export interface DisabledService {
  serviceId: string;
  host: string;
  /** True when this run disabled it, so only this run's revert re-enables it. */
  disabledByUs: boolean;
  disabledReason: string | null;
  /** ISO time from which this run's migrations away from the host count (for `changes-since`). */
  since: string;
}

const disabledServiceSchema = z.object({
  serviceId: z.string(), host: z.string(), disabledByUs: z.boolean(), disabledReason: z.string().nullable(), since: z.string(),
});

/** The `service` input, validated; throws `InvalidParameter` when an earlier task did not provide it. */
export function disabledServiceInput(ctx: Pick<TaskContext, 'inputs'>): DisabledService {
  const result = disabledServiceSchema.safeParse(ctx.inputs.service);
  if (!result.success) throw openstackError('InvalidParameter', 'input `service` (from disable-compute-service) is missing or malformed', false);
  return result.data;
}

/**
 * The `disabled_reason` this run writes: the operator's reason tagged with the run id, at most 255
 * characters (Nova's limit). The tag is how a retried or resumed run recognises its own disable.
 */
export function disabledReasonFor(reason: string, runId: string): string {
  const tag = ` [craton run ${runId}]`;
  return reason.slice(0, Math.max(0, 255 - tag.length)) + tag;
}

/**
 * Runs `work` over `items` with at most `limit` in flight. After a failure for which `stopOn` is true
 * (by default any) no new item starts; the ones in flight finish. Resolves with every failure (empty
 * when all succeeded), in start order.
 */
export async function boundedPool<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stopOn: (error: unknown) => boolean = () => true,
): Promise<Array<{ item: T; error: unknown }>> {
  const failures: Array<{ item: T; error: unknown; index: number }> = [];
  let stopped = false;
  let next = 0;
  const runner = async () => {
    while (next < items.length && !stopped) {
      const index = next++;
      const item = items[index]!;
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error, index });
        if (stopOn(error)) stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return failures.sort((a, b) => a.index - b.index).map(({ item, error }) => ({ item, error }));
}
