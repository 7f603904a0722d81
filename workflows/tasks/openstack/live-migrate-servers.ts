/**
 * live-migrate-servers: move every server off the target's (disabled) compute host.
 */
import { z } from 'zod';
import { openstackError, waitForLiveMigration, type OpenStackDriver, type Server } from '../../drivers/openstack.js';
import { pause } from '../../drivers/openstack/http.js';
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
  destinations: z.array(z.string().trim().min(1, 'destination host names must not be empty')).max(1000).optional(),
});

/** Server states os-migrateLive accepts (vm_state active/paused) plus one already migrating. */
const MOVABLE = ['ACTIVE', 'PAUSED', 'MIGRATING'];

/**
 * Live-migrates every server on the host (all projects) with `block_migration: "auto"`, at most
 * `maxParallelMigrations` at a time, polling each until it ends. Destinations: with `destinations`
 * (compute host names; the target's own host is left out) servers go to them round-robin in listing
 * order; without, `host: null` lets the scheduler choose. Provides `migrated`: every server moved off the
 * host since the service was disabled, this attempt's and (on a retry or resumption) earlier ones', read
 * back from /os-migrations.
 *
 * Checks the world first on every attempt, which covers `ctx.resumed` and retries: servers already gone
 * are not listed (a retry migrates only what is left), and a server already MIGRATING (started before a
 * crash) is waited for, never migrated twice. Refuses up front (`NotLiveMigratable`, not retryable) when a
 * server cannot be live-migrated (SHUTOFF, ERROR, locked...), before moving anything.
 *
 * A server busy with another operation (Nova answers 409 while its task_state is set, e.g. during a
 * snapshot) is waited for, polling every `pollIntervalMs`, and the migration is requested again once the
 * task state clears; still busy after `migrationTimeoutSeconds` it fails with a retryable `Conflict`.
 *
 * A failed migration that left the server intact on the host (`MigrationFailed`, `MigrationTimeout`,
 * `Conflict`: retryable) does not stop the others; the task then fails with that error once the rest are
 * done, and the engine retries the task per its policy, which migrates only the servers still there. A
 * non-retryable failure (a server in ERROR...) stops new migrations at once. The failure's details list
 * every failed migration, the servers moved, and `serversRemaining` on the host.
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
    const destinations = params.destinations?.filter((d) => d !== host);
    if (destinations && !destinations.length) {
      throw openstackError('InvalidParameter', `parameter destinations: no destination other than ${host} itself`, false, { host, destinations: params.destinations });
    }
    const plan = servers.map((server, i) => ({ server, to: destinations ? destinations[i % destinations.length]! : null }));
    await ctx.log(`moving ${servers.length} server(s) off ${host}, ${params.maxParallelMigrations} at a time${destinations ? ` to ${destinations.join(', ')}` : ''}`, {
      resumed: ctx.resumed, attempt: ctx.attempt, servers: servers.map((s) => s.name),
    });
    const moved: MigratedServer[] = [];
    const failures = await boundedPool(plan, params.maxParallelMigrations, async ({ server, to }) => {
      moved.push(await moveOne(ctx, driver, server, host, to, params.migrationTimeoutSeconds));
    }, (error) => !(error instanceof TaskError && error.retryable));
    const migrated = await withEarlierMoves(ctx, driver, host, since, moved);
    if (failures.length) {
      const movedIds = new Set(moved.map((m) => m.id));
      const remaining = servers.filter((s) => !movedIds.has(s.id)).map((s) => ({ id: s.id, name: s.name }));
      throw summarise(failures.map((f) => ({ item: f.item.server, error: f.error })), host, migrated, remaining);
    }
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
    if (failures.length) throw summarise(failures, 'their new hosts', [], []);
  },
};

/** Starts (unless already running) and waits for one live migration; resolves with where it went. */
async function moveOne(ctx: TaskContext, driver: OpenStackDriver, server: Server, from: string, to: string | null, timeoutSeconds: number): Promise<MigratedServer> {
  if (server.taskState === 'migrating' || (await requestMigration(ctx, driver, server, to, timeoutSeconds)) === 'already-migrating') {
    await ctx.log(`server ${server.name} is already migrating; waiting for it`, { serverId: server.id });
  } else {
    await ctx.log(`live-migrating server ${server.name} from ${from}${to ? ` to ${to}` : ''}`, { serverId: server.id, to });
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
 * POST os-migrateLive; on Nova's 409 for a server busy with another operation (task_state set), waits
 * for the task state to clear and asks again, until `timeoutSeconds` have passed (then a retryable
 * `Conflict`). A 409 because the server is locked, or not in a state that can move, is `NotLiveMigratable`.
 * Resolves `already-migrating` when the server turns out to be migrating already (a request whose answer
 * was lost, or another operator's).
 */
async function requestMigration(ctx: TaskContext, driver: OpenStackDriver, server: Server, to: string | null, timeoutSeconds: number): Promise<'started' | 'already-migrating'> {
  const deadline = driver.now() + timeoutSeconds * 1000;
  for (let waits = 0; ; waits++) {
    try {
      await driver.nova.liveMigrate(server.id, to, ctx.signal);
      return 'started';
    } catch (err) {
      if (!(err instanceof TaskError) || err.type !== 'Conflict') throw err;
      const now = await driver.nova.getServer(server.id, ctx.signal);
      if (now.taskState === 'migrating') return 'already-migrating';
      if (now.locked || !MOVABLE.includes(now.status)) {
        throw openstackError('NotLiveMigratable', `server ${server.name} cannot be live-migrated (${now.status}${now.locked ? ', locked' : ''}): ${err.message}`, false, {
          serverId: server.id, status: now.status, locked: now.locked,
        });
      }
      if (driver.now() >= deadline) {
        throw openstackError('Conflict', `server ${server.name} is still busy (task_state ${now.taskState ?? 'none'}) after ${timeoutSeconds} s; not migrated`, true, {
          serverId: server.id, taskState: now.taskState, waits,
        });
      }
      if (waits === 0) {
        await ctx.log(`server ${server.name} is busy (task_state ${now.taskState ?? 'none'}); waiting to migrate it`, { serverId: server.id, taskState: now.taskState, conflict: err.message });
      }
      await pause(driver.effects, driver.pollIntervalMs, ctx.signal);
    }
  }
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

function summarise(
  failures: Array<{ item: { id: string; name: string }; error: unknown }>,
  host: string,
  migrated: MigratedServer[],
  serversRemaining: Array<{ id: string; name: string }>,
): TaskError {
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
  const left = serversRemaining.length ? ` (${serversRemaining.length} server(s) remain on ${host}: ${serversRemaining.map((r) => r.name).join(', ')})` : '';
  return new TaskError(message + left, base.type, base.retryable, { failures: records, migrated, serversRemaining });
}
