import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `craton ARGS` in-process with this environment (and optional standard input); never exits the test process. */
export async function craton(args: string[], env: Record<string, string | undefined>, stdin?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => { stdout += s; return true; } },
    stderr: { write: (s: string) => { stderr += s; return true; } },
    stdin: Object.assign(Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]), { isTTY: stdin === undefined ? true : undefined }),
    env: { ...env },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
