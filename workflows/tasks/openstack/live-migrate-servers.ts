/**
 * live-migrate-servers: move every server off the target's (disabled) compute host.
 */
import { z } from 'zod';
import { openstackError, waitForLiveMigration, type OpenStackDriver, type Server } from '../../drivers/openstack.js';
import { TaskError, type TaskContext, type TaskDefinition } from '../../types.js';
import { boundedPool, disabledServiceInput, openstackDriver, readParams } from './common.js';
import { reenableIfOurs } from './disable-compute-service.js';

/** One server this run moved, as provided in `migrated`. */
export interface MigratedServer {
  id: string;
  name: string;
  from: string;
  to: string;
}

const paramsSchema = z.looseObject({
  maxParallelMigrations: z.number().int().min(1).max(32).default(2),
  migrationTimeoutSeconds: z.number().int().min(1).default(1800),
  revertMigrations: z.boolean().default(false),
});

/** Server states os-migrateLive accepts (vm_state active/paused) plus one already migrating. */
const MOVABLE = ['ACTIVE', 'PAUSED', 'MIGRATING'];

/**
 * Live-migrates every server on the host (all projects) with `host: null` (the scheduler picks) and
 * `block_migration: "auto"`, at most `maxParallelMigrations` at a time, polling each until it ends.
 * Provides `migrated`: every server moved off the host since the service was disabled, this attempt's
 * and (on a retry or resumption) earlier ones', read back from /os-migrations.
 *
 * Checks the world first on every attempt, which covers `ctx.resumed`: servers already gone are not
 * listed, and a server already MIGRATING (started before a crash) is waited for, never migrated twice.
 * Refuses up front (`NotLiveMigratable`, not retryable) when a server cannot be live-migrated (SHUTOFF,
 * ERROR, locked...), before moving anything. After a failure it starts no new migration, lets the ones in
 * flight finish, and throws the first failure (a non-retryable one first) with all of them in `details`.
 *
 * Revert: nothing by default, the servers stay where they went. With `revertMigrations: true` it first
 * re-enables the service (if this run disabled it; the scheduler refuses a disabled host) and then
 * migrates each server of `migrated` back to its source host. NOTE(craton): the engine reverts only
 * completed tasks, so this runs when a later task (verify-host-empty) exhausts its retries, not when
 * this task itself fails halfway; servers moved by a failed attempt stay moved.
 */
export const liveMigrateServers: TaskDefinition = {
  name: 'live-migrate-servers',
  requires: ['service'],
  provides: ['migrated'],
  timeoutMs: 6 * 3_600_000,
  async execute(ctx) {
    const params = readParams(ctx, paramsSchema);
    const { host, since } = disabledServiceInput(ctx);
    const driver = openstackDriver(ctx);
    const servers = await driver.nova.listServersOnHost(host, ctx.signal);
    const stuck = servers.filter((s) => !MOVABLE.includes(s.status) || (s.locked && s.status !== 'MIGRATING'));
    if (stuck.length) {
      throw openstackError(
        'NotLiveMigratable',
        `${stuck.length} server(s) on ${host} cannot be live-migrated: ${stuck.map((s) => `${s.name} (${s.status}${s.locked ? ', locked' : ''})`).join(', ')}`,
        false,
        { host, servers: stuck.map((s) => ({ id: s.id, name: s.name, status: s.status, locked: s.locked })) },
      );
    }
    await ctx.log(`moving ${servers.length} server(s) off ${host}, ${params.maxParallelMigrations} at a time`, { resumed: ctx.resumed });
    const moved: MigratedServer[] = [];
    const failures = await boundedPool(servers, params.maxParallelMigrations, async (server) => {
      moved.push(await moveOne(ctx, driver, server, host, null, params.migrationTimeoutSeconds));
    });
    const migrated = await withEarlierMoves(ctx, driver, host, since, moved);
    if (failures.length) throw summarise(failures, host, migrated);
    return { migrated };
  },
  async revert(ctx) {
    const params = readParams(ctx, paramsSchema);
    const migrated = (ctx.result?.migrated ?? []) as MigratedServer[];
    if (!params.revertMigrations || !migrated.length) {
      await ctx.log(`leaving ${migrated.length} migrated server(s) where they are (revertMigrations is off)`);
      return;
    }
    const driver = openstackDriver(ctx);
    await reenableIfOurs(ctx);
    const failures = await boundedPool(migrated, params.maxParallelMigrations, async (m) => {
      const server = await driver.nova.getServer(m.id, ctx.signal);
      if (server.host !== m.to) return; // moved again since; not ours to move back
      await moveOne(ctx, driver, server, m.to, m.from, params.migrationTimeoutSeconds);
    });
    if (failures.length) throw summarise(failures, 'their new hosts', []);
  },
};

/** Starts (unless already running) and waits for one live migration; resolves with where it went. */
async function moveOne(ctx: TaskContext, driver: OpenStackDriver, server: Server, from: string, to: string | null, timeoutSeconds: number): Promise<MigratedServer> {
  if (server.taskState === 'migrating') {
    await ctx.log(`server ${server.name} is already migrating; waiting for it`, { serverId: server.id });
  } else {
    await driver.nova.liveMigrate(server.id, to, ctx.signal);
    await ctx.log(`live-migrating server ${server.name} from ${from}${to ? ` to ${to}` : ''}`, { serverId: server.id });
  }
  const outcome = await waitForLiveMigration(driver.nova, server.id, from, {
    signal: ctx.signal,
    timeoutMs: timeoutSeconds * 1000,
    intervalMs: driver.pollIntervalMs,
  });
  await ctx.log(`server ${server.name} is now on ${outcome.to}`, { serverId: server.id, migration: outcome.migration?.uuid ?? null });
  return { id: server.id, name: server.name, from, to: outcome.to };
}

/**
 * Adds the servers moved off `host` by earlier attempts of this run (completed live migrations updated
 * since the service was disabled), so `migrated` is whole after a retry or a crash. One GET; only on a
 * retry or resumption.
 */
async function withEarlierMoves(ctx: TaskContext, driver: OpenStackDriver, host: string, since: string, moved: MigratedServer[]): Promise<MigratedServer[]> {
  if (ctx.attempt === 1 && !ctx.resumed) return moved;
  const byId = new Map(moved.map((m) => [m.id, m]));
  const done = await driver.nova.listMigrations({ sourceCompute: host, status: 'completed', changesSince: since }, ctx.signal);
  for (const m of done) {
    if (byId.has(m.serverId) || !m.destCompute) continue;
    const server = await driver.nova.getServer(m.serverId, ctx.signal).catch(() => null);
    byId.set(m.serverId, { id: m.serverId, name: server?.name ?? m.serverId, from: host, to: m.destCompute });
  }
  return [...byId.values()];
}

function summarise(failures: Array<{ item: { id: string; name: string }; error: unknown }>, host: string, migrated: MigratedServer[]): TaskError {
  const records = failures.map(({ item, error }) => ({
    serverId: item.id,
    name: item.name,
    type: error instanceof TaskError ? error.type : 'Error',
    retryable: error instanceof TaskError ? error.retryable : true,
    message: error instanceof Error ? error.message : String(error),
  }));
  const first = failures.find((f) => f.error instanceof TaskError && !f.error.retryable) ?? failures[0]!;
  const base = first.error instanceof TaskError ? first.error : new TaskError(String(first.error), 'Error', true);
  const message = failures.length === 1 ? base.message : `${failures.length} migrations off ${host} failed; first: ${base.message}`;
  return new TaskError(message, base.type, base.retryable, { failures: records, migrated });
}
