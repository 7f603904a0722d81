/**
 * Shared set-up of the OpenStack workflow tests: a driver pointed at the fake, and target devices.
 */
import { createOpenStackDriver, type OpenStackDriver, type OpenStackDriverOptions } from '../../workflows/drivers/openstack.js';
import type { TargetDevice } from '../../workflows/types.js';
import type { FakeNova } from '../fakes/nova.js';

/**
 * A driver for the fake's admin user. Its sleep advances the fake's migrations one step instead of
 * waiting, so polling a live migration takes a few milliseconds.
 */
export function driverFor(fake: FakeNova, overrides: Partial<OpenStackDriverOptions> = {}): OpenStackDriver {
  return createOpenStackDriver({
    authUrl: fake.authUrl,
    username: 'admin',
    password: 'secret',
    projectName: 'admin',
    region: 'RegionOne',
    interface: 'public',
    pollIntervalMs: 1,
    requestTimeoutMs: 5_000,
    sleep: async () => fake.tick(),
    ...overrides,
  });
}

/** A target device as the engine resolves it at plan time. */
export function device(name: string, variables: Record<string, unknown> = {}): TargetDevice {
  return { id: `ref:${name}`, name, ipAddress: null, variables };
}

/** A signal that never fires. */
export const never = (): AbortSignal => new AbortController().signal;
