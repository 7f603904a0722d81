#!/usr/bin/env node
import { runCli } from './cli/program.js';

// `craton`: the operator CLI (package.json "bin"). Every command lives in src/cli/; `craton help` lists them.

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
  (code) => {
    process.exitCode = code;
    // The gateway and store are closed by the commands; anything left (a keep-alive socket) must not hold the exit.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err) => {
    process.stderr.write(`craton: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
