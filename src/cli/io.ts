import type { Readable } from 'node:stream';

/** Where a CLI run reads and writes: the process's streams, or test doubles (the CLI runs in-process in tests). */
export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface OutStream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
  once?(event: 'drain', listener: () => void): unknown;
}

/** A failure to report as `craton: <message>` with an exit status: 1 for failures, 2 for bad usage. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

/** Exit statuses of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
