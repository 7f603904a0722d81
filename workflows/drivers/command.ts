/**
 * The command driver: how `run-command` finds, vets and runs executables on the gateway host. Built by
 * the composition root from the config file's `workflows.commands` allowlist and handed to tasks as
 * `drivers.commands`; a task without one gets {@link defaultCommandDriver} (no allowlist).
 *
 * Commands never go through a shell: `spawn(path, argv, { shell: false })`, so `$(...)`, `;`, `|`, globs
 * and quotes in an argument reach the program literally.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, normalize } from 'node:path';
import { TaskError, type TaskContext } from '../types.js';

/** The key of the driver in `TaskContext.drivers`. */
export const COMMAND_DRIVER = 'commands';

/** What {@link CommandDriver} is built from; every field has a default. */
export interface CommandDriverOptions {
  /**
   * Absolute paths of the only executables `run-command` may run (config `workflows.commands`). Absent or
   * null: any executable the gateway's user can run.
   */
  allow?: readonly string[] | null;
  /** Where bare command names are looked up, and the PATH commands get. @default process.env.PATH */
  path?: string;
  /** How long after SIGTERM a command that is still running gets SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Bytes of stdout, and of stderr, kept per execution (the last ones). @default 16384 */
  maxOutputBytes?: number;
  /** How long to wait for output pipes held open by a command's children after it exited. @default 2000 */
  drainMs?: number;
}

/** What one execution gave. */
export interface CommandOutcome {
  /** null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last `maxOutputBytes` of each stream, as UTF-8. */
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  /** True when it was killed because it ran past its timeout. */
  timedOut: boolean;
}

/** One execution to run. */
export interface CommandSpec {
  /** Absolute path, as {@link CommandDriver.resolve} returns it. */
  path: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Errors about the command itself (not its exit): no retry can fix them. */
function refuse(type: string, message: string, details?: unknown): TaskError {
  return TaskError.nonRetryable(message, type, details);
}

/** Finds, vets and runs commands. */
export class CommandDriver {
  readonly allow: readonly string[] | null;
  readonly path: string;
  readonly killGraceMs: number;
  readonly maxOutputBytes: number;
  readonly drainMs: number;

  constructor(options: CommandDriverOptions = {}) {
    for (const entry of options.allow ?? []) {
      if (typeof entry !== 'string' || !isAbsolute(entry)) throw new TypeError(`workflows.commands: '${String(entry)}' is not an absolute path`);
    }
    this.allow = options.allow ? options.allow.map((p) => normalize(p)) : null;
    this.path = options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    this.killGraceMs = options.killGraceMs ?? 5_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 16 * 1024;
    this.drainMs = options.drainMs ?? 2_000;
  }

  /**
   * The absolute path of `command`: an absolute path as given, or a bare name (no `/`) looked up on
   * {@link path}. Throws non-retryable TaskErrors: `InvalidParameter` (relative path, NUL byte),
   * `CommandNotFound`, `CommandNotExecutable` (not a regular file, or no execute permission), and
   * `CommandNotAllowed` when an allowlist is configured and neither the path nor its real path (symlinks
   * resolved) is on it.
   */
  async resolve(command: string): Promise<string> {
    if (!command || command.includes('\0')) throw refuse('InvalidParameter', 'parameter command: must be a non-empty string without NUL bytes');
    let path: string;
    if (isAbsolute(command)) {
      path = normalize(command);
      await this.checkExecutable(path, command);
    } else if (command.includes('/')) {
      throw refuse('InvalidParameter', `parameter command: '${command}' is a relative path; give an absolute path or a bare name found on PATH`);
    } else {
      path = await this.lookup(command);
    }
    if (this.allow) {
      const real = await realpath(path).catch(() => path);
      const allowed = await Promise.all(this.allow.map(async (a) => a === path || (await realpath(a).catch(() => a)) === real));
      if (!allowed.some(Boolean)) {
        throw refuse('CommandNotAllowed', `command ${path} is not in this gateway's allowlist (workflows.commands in the config file)`, { command: path, allowed: this.allow });
      }
    }
    return path;
  }

  private async lookup(name: string): Promise<string> {
    for (const dir of this.path.split(delimiter)) {
      if (!dir || !isAbsolute(dir)) continue; // an empty or relative PATH entry would mean the gateway's cwd
      const candidate = join(dir, name);
      if (await isExecutableFile(candidate)) return candidate;
    }
    throw refuse('CommandNotFound', `command '${name}' is not an executable file in any directory of PATH (${this.path})`, { command: name });
  }

  private async checkExecutable(path: string, given: string): Promise<void> {
    const info = await stat(path).catch(() => null);
    if (!info) throw refuse('CommandNotFound', `command ${given} does not exist`, { command: given });
    if (!info.isFile()) throw refuse('CommandNotExecutable', `command ${given} is not a regular file`, { command: given });
    if (!(await isExecutableFile(path))) throw refuse('CommandNotExecutable', `command ${given} is not executable by the gateway's user`, { command: given });
  }

  /**
   * Spawns `spec.path` with `spec.args` (no shell) and `spec.env` only, in its own process group, stdin
   * closed. On the timeout or an abort of `spec.signal` the group gets SIGTERM, then SIGKILL after
   * {@link killGraceMs}. Resolves when it exited (and its pipes closed, or {@link drainMs} passed); an
   * abort rejects with the signal's reason once it is dead. Fails to start: a TaskError `SpawnFailed`.
   */
  run(spec: CommandSpec): Promise<CommandOutcome> {
    const started = Date.now();
    return new Promise<CommandOutcome>((resolve, reject) => {
      if (spec.signal.aborted) return reject(spec.signal.reason);
      const stdout = new Tail(this.maxOutputBytes);
      const stderr = new Tail(this.maxOutputBytes);
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      let drainTimer: NodeJS.Timeout | undefined;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(spec.path, spec.args, { shell: false, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
      } catch (err) {
        // Synchronous refusals: a NUL byte in an argument or variable, an argument list too long...
        return reject(refuse('SpawnFailed', `could not start ${spec.path}: ${(err as Error).message}`, { command: spec.path }));
      }
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig);
        } catch {
          child.kill(sig); // the group is gone already, or this platform has none
        }
      };
      const terminate = () => {
        if (killTimer || exit) return;
        // SIGTERM first so the command can clean up; SIGKILL for the whole group if it is still there.
        signalGroup('SIGTERM');
        killTimer = setTimeout(() => signalGroup('SIGKILL'), this.killGraceMs);
        killTimer.unref();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, spec.timeoutMs);
      const onAbort = () => terminate();
      spec.signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        clearTimeout(drainTimer);
        spec.signal.removeEventListener('abort', onAbort);
      };
      child.stdout!.on('data', (b: Buffer) => stdout.push(b));
      child.stderr!.on('data', (b: Buffer) => stderr.push(b));
      child.on('error', (err: NodeJS.ErrnoException) => {
        cleanup();
        const retryable = err.code === 'EAGAIN' || err.code === 'EMFILE' || err.code === 'ENFILE' || err.code === 'ENOMEM';
        reject(new TaskError(`could not start ${spec.path}: ${err.message}`, 'SpawnFailed', retryable, { command: spec.path, code: err.code }));
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        // When terminating, the SIGKILL timer stays armed: it also ends children left in the group.
        // Children of the command may hold its pipes open: give them a moment, then stop reading.
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, this.drainMs);
        drainTimer.unref();
      });
      child.on('close', (code, signal) => {
        cleanup();
        const ended = exit ?? { code, signal };
        if (spec.signal.aborted && !timedOut) return reject(spec.signal.reason);
        resolve({
          exitCode: ended.code, signal: ended.signal,
          stdout: stdout.text(), stderr: stderr.text(), stdoutTruncated: stdout.truncated, stderrTruncated: stderr.truncated,
          durationMs: Date.now() - started, timedOut,
        });
      });
    });
  }
}

/** The driver for executions without one configured: no allowlist, the gateway's PATH. */
export const defaultCommandDriver = new CommandDriver();

/** The command driver of a task's context, or {@link defaultCommandDriver}. */
export function commandDriver(ctx: Pick<TaskContext, 'drivers'>): CommandDriver {
  const driver = ctx.drivers[COMMAND_DRIVER];
  if (driver === undefined) return defaultCommandDriver;
  if (driver instanceof CommandDriver) return driver;
  throw TaskError.nonRetryable(`drivers.${COMMAND_DRIVER} is not a CommandDriver`, 'DriverMissing');
}

async function isExecutableFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return false;
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** The last `max` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.max) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    if (all.length <= this.max) return all.toString('utf8');
    this.truncated = true;
    return all.subarray(all.length - this.max).toString('utf8');
  }
}
