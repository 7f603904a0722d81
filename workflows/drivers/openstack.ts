/**
 * The OpenStack driver: one Keystone session shared by a Nova and a Placement client, built by the
 * composition root from config and handed to tasks as `drivers.openstack`.
 *
 * ```ts
 * const openstack = openStackDriverFromConfig(yaml.openstack, { env: process.env, log: (m, d) => logger.debug(d, m) });
 * createWorkflowService({ drivers: { [OPENSTACK_DRIVER]: openstack }, ... });
 * ```
 */
import { z } from 'zod';
import { TaskError, type TaskContext } from '../types.js';
import { realSleep, type OpenStackEffects, type OpenStackLog, type Sleep } from './openstack/http.js';
import { KeystoneSession, type KeystoneCredentials } from './openstack/keystone.js';
import { NovaClient } from './openstack/nova.js';
import { PlacementClient } from './openstack/placement.js';

export * from './openstack/errors.js';
export type { OpenStackLog, Sleep } from './openstack/http.js';
export { realSleep } from './openstack/http.js';
export { KeystoneSession, type EndpointInterface, type KeystoneCredentials, type ServiceType } from './openstack/keystone.js';
export * from './openstack/migration.js';
export * from './openstack/nova.js';
export * from './openstack/placement.js';

/** The key of the driver in `TaskContext.drivers`. */
export const OPENSTACK_DRIVER = 'openstack';

/** Everything {@link createOpenStackDriver} needs: credentials, versions, and injectable effects. */
export interface OpenStackDriverOptions extends KeystoneCredentials {
  /** Compute microversion pinned on every Nova call; 2.59 or later. @default '2.60' */
  computeMicroversion?: string;
  /** @default '1.14' */
  placementMicroversion?: string;
  /** Delay between polls of a migrating server. @default 5000 */
  pollIntervalMs?: number;
  /** Limit of one HTTP request on top of the caller's signal. @default 30000 */
  requestTimeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
  /** @default real timers */
  sleep?: Sleep;
  /** Debug events (requests with status and duration, re-authentication). @default none */
  log?: OpenStackLog;
}

/** The driver tasks get: the clients plus the clock and poll interval they share. */
export class OpenStackDriver {
  readonly keystone: KeystoneSession;
  readonly nova: NovaClient;
  readonly placement: PlacementClient;
  readonly pollIntervalMs: number;
  readonly effects: OpenStackEffects;

  constructor(options: OpenStackDriverOptions) {
    this.effects = {
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      now: options.now ?? Date.now,
      sleep: options.sleep ?? realSleep,
      log: options.log ?? (() => {}),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    this.keystone = new KeystoneSession(options, this.effects);
    this.nova = new NovaClient(this.keystone, this.effects, options.computeMicroversion ?? '2.60');
    this.placement = new PlacementClient(this.keystone, this.effects, options.placementMicroversion ?? '1.14');
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
  }

  /** The injected clock, in ms since the epoch. */
  now(): number {
    return this.effects.now();
  }
}

/** Builds a driver; nothing is sent until the first call. Throws on an unusable microversion or scope. */
export function createOpenStackDriver(options: OpenStackDriverOptions): OpenStackDriver {
  return new OpenStackDriver(options);
}

/**
 * The `openstack:` block of the Craton config file. The password is never in the file: `passwordEnv`
 * names the environment variable holding it.
 */
export const openStackConfigSchema = z
  .object({
    authUrl: z.url(),
    username: z.string().min(1),
    userDomainName: z.string().min(1).default('Default'),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('OS_PASSWORD'),
    projectName: z.string().min(1).optional(),
    projectDomainName: z.string().min(1).default('Default'),
    projectId: z.string().min(1).optional(),
    region: z.string().min(1).default('RegionOne'),
    interface: z.enum(['public', 'internal', 'admin']).default('public'),
    computeMicroversion: z.string().regex(/^2\.\d+$/).default('2.60'),
    placementMicroversion: z.string().regex(/^1\.\d+$/).default('1.14'),
    pollIntervalMs: z.number().int().min(100).default(5_000),
    requestTimeoutMs: z.number().int().min(1_000).default(30_000),
  })
  .refine((c) => c.projectName || c.projectId, { message: 'give projectName or projectId' });

/** The validated config block. */
export type OpenStackConfig = z.infer<typeof openStackConfigSchema>;

/**
 * Validates an `openstack:` config block, reads the password from `env[passwordEnv]`, and builds the
 * driver. Throws an Error naming the bad field or the missing variable.
 */
export function openStackDriverFromConfig(
  raw: unknown,
  deps: { env: NodeJS.ProcessEnv } & Pick<OpenStackDriverOptions, 'fetch' | 'now' | 'sleep' | 'log'>,
): OpenStackDriver {
  const result = openStackConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`openstack.${issue.path.join('.') || '(block)'}: ${issue.message}`);
  }
  const { passwordEnv, ...config } = result.data;
  const password = deps.env[passwordEnv];
  if (!password) throw new Error(`openstack: the environment variable ${passwordEnv} (openstack.passwordEnv) holds no password`);
  const { env: _env, ...effects } = deps;
  return createOpenStackDriver({ ...config, password, ...effects });
}

/**
 * The OpenStack driver of a task's context. Throws a non-retryable TaskError `DriverMissing` when the
 * composition root configured none (a run of an OpenStack workflow on a gateway without `openstack:`).
 */
export function openstackDriver(ctx: Pick<TaskContext, 'drivers'>): OpenStackDriver {
  const driver = ctx.drivers[OPENSTACK_DRIVER];
  if (driver instanceof OpenStackDriver) return driver;
  throw TaskError.nonRetryable(
    `no OpenStack driver is configured (drivers.${OPENSTACK_DRIVER} is ${driver === undefined ? 'missing' : 'not an OpenStackDriver'})`,
    'DriverMissing',
  );
}
