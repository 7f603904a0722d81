/**
 * Waiting for a live migration to end, following the polling procedure of nova-api.md §2.6: poll the
 * server until `OS-EXT-STS:task_state` is null, then judge by the newest live-migration record and where
 * the server ended up.
 */
import { openstackError } from './errors.js';
import { pause } from './http.js';
import type { Migration, NovaClient, Server } from './nova.js';

/** How long and how often to poll. */
export interface WaitOptions {
  signal: AbortSignal;
  /** Give up (with `MigrationTimeout`, retryable) after this long. @default 1800000 (30 min) */
  timeoutMs?: number;
  /** Delay between polls. @default 5000 */
  intervalMs?: number;
  /** Called after each poll while the server is still migrating. */
  onPoll?: (server: Server) => void;
}

/** A finished, successful live migration. */
export interface LiveMigrationOutcome {
  server: Server;
  /** The newest live-migration record of the server (null if Nova kept none). */
  migration: Migration | null;
  from: string;
  to: string;
}

/**
 * Polls until the server's live migration away from `sourceHost` ends, and returns where it went. Costs
 * one GET per `intervalMs` plus one /os-migrations call at the end.
 *
 * Throws TaskErrors:
 * - `ServerInError` (not retryable): the server went to ERROR; `fault.message` is in the error message.
 * - `MigrationFailed` (retryable): the migration ended `failed`/`error`/`cancelled`, or the server is
 *   ACTIVE on the source again (Nova rolled back); the server is intact on the source.
 * - `MigrationTimeout` (retryable): still migrating at the deadline. Nova keeps going; a retry that finds
 *   the server still MIGRATING should wait again rather than start another migration.
 * - `Aborted` when the signal fires, and the HTTP errors of the calls it makes.
 */
export async function waitForLiveMigration(
  nova: NovaClient,
  serverId: string,
  sourceHost: string,
  options: WaitOptions,
): Promise<LiveMigrationOutcome> {
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? 1_800_000;
  const intervalMs = options.intervalMs ?? 5_000;
  const deadline = nova.effects.now() + timeoutMs;
  let server = await nova.getServer(serverId, signal);
  while (server.taskState !== null) {
    options.onPoll?.(server);
    if (nova.effects.now() >= deadline) {
      throw openstackError('MigrationTimeout', `server ${serverId} still ${server.status}/${server.taskState} after ${timeoutMs} ms`, true, {
        serverId, sourceHost, status: server.status, taskState: server.taskState,
      });
    }
    await pause(nova.effects, intervalMs, signal);
    server = await nova.getServer(serverId, signal);
  }
  const [migration = null] = await nova.listMigrations({ serverId }, signal);
  const details = { serverId, sourceHost, host: server.host, status: server.status, migrationStatus: migration?.status ?? null };
  if (server.status === 'ERROR') {
    throw openstackError('ServerInError', `server ${serverId} went to ERROR during live migration: ${server.faultMessage ?? 'no fault recorded'}`, false, {
      ...details, fault: server.faultMessage,
    });
  }
  const moved = server.host !== null && server.host !== sourceHost;
  const ended = migration?.status ?? (moved ? 'completed' : 'unknown');
  if (moved && ended === 'completed') return { server, migration, from: sourceHost, to: server.host! };
  throw openstackError('MigrationFailed', `live migration of server ${serverId} from ${sourceHost} ended ${ended}; the server is ${server.status} on ${server.host}`, true, details);
}
