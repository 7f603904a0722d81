import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ExportFormat } from '../export/index.js';
import type { ImportFormat } from '../import/formats.js';
import { CratonClient } from './client.js';
import { hostsList, hostsShow, keysCreate, keysList, keysRevoke, varsDelete, varsGet, varsSet } from './commands/api.js';
import { exportCommand, importCommand, migrate, serve } from './commands/store.js';
import { workflowStart } from './commands/workflow.js';
import { CliError, type CliIO } from './io.js';

// The `craton` command line (commander). Built fresh for every run so tests can run it in-process:
// `await runCli(['hosts', 'list', '--json'], io)` returns the exit status instead of exiting.

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (what: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${what} must be a whole number ≥ 1`);
  return Number(value);
};

interface Globals {
  url: string;
  apiKey?: string;
  project?: string;
  json?: boolean;
}

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const env = io.env;
  const program = new Command('craton')
    .description('Operate a Craton fleet: serve the gateway, bulk import/export the inventory, query hosts and variables, run workflows.')
    .option('--url <url>', 'gateway base URL (env CRATON_URL)', env.CRATON_URL || 'http://127.0.0.1:4000')
    .option('--api-key <key>', 'API key (env CRATON_API_KEY)')
    .option('--project <name|id>', 'project to act in: X-Craton-Project for API commands (root keys); the store project for import/export (default: default)')
    .option('--json', 'print JSON (sorted keys) instead of tables')
    .showHelpAfterError('(run craton help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => { io.stdout.write(s); }, writeErr: (s) => { io.stderr.write(s); } });

  const globals = (cmd: Command) => cmd.optsWithGlobals() as Globals & Record<string, unknown>;
  const client = (cmd: Command) => {
    const g = globals(cmd);
    return new CratonClient({ url: g.url, apiKey: g.apiKey ?? (env.CRATON_API_KEY || undefined), project: g.project });
  };
  const run = (fn: (...args: any[]) => Promise<number>) => async (...args: any[]) => setExit(await fn(...args));

  program.command('serve').description('serve the GraphQL gateway (as npm start) until SIGTERM/SIGINT; configured by the environment (README: Configuration)')
    .action(run(() => serve(io)));
  program.command('migrate').description('apply pending migrations to the store of CRATON_DATABASE_URL and exit')
    .action(run(() => migrate(io)));

  program.command('import').argument('<file>', 'CSV, JSON (array or JSON Lines) or YAML file; - for standard input (with --format)')
    .description('bulk upsert clouds, regions, cells and devices into the store of CRATON_DATABASE_URL (directly, not through the gateway); exit 1 when rows were rejected')
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(['csv', 'json', 'yaml']))
    .option('--dry-run', 'read and check everything, report what would change, write nothing')
    .option('--chunk-size <n>', 'rows per transaction', positiveInt('--chunk-size'), 1000)
    .option('--actor <name>', 'name recorded on the change records', 'import')
    .action(run((file: string, opts: { format?: ImportFormat; dryRun?: boolean; chunkSize: number; actor: string }, cmd: Command) => {
      const g = globals(cmd);
      return importCommand(io, file, { ...opts, project: g.project, json: g.json });
    }));

  program.command('export').description("write the project's inventory in an import format (parents before children), from the store of CRATON_DATABASE_URL")
    .addOption(new Option('--format <format>', 'output format (default: from --output, else yaml)').choices(['csv', 'json', 'yaml']))
    .option('--output <file>', 'write to FILE instead of standard output')
    .action(run((opts: { format?: ExportFormat; output?: string }, cmd: Command) => exportCommand(io, { ...opts, project: globals(cmd).project })));

  const hosts = program.command('hosts').description('hosts of the gateway (CRATON_URL, CRATON_API_KEY)');
  hosts.command('list').description('list hosts: id, name, ip_address, device_type, active, region, cell, labels')
    .option('--label <label>', 'only hosts with this label (repeat: all of them)', collect)
    .option('--vars <path:json>', 'Craton variable search, e.g. \'hardware.disks[*].vendor:"Seagate"\' (repeat: AND)', collect)
    .option('--region <name|id>', 'only hosts of this region')
    .option('--cell <name|id>', 'only hosts of this cell')
    .option('--limit <n>', 'at most N hosts', positiveInt('--limit'), 100)
    .option('--all', 'every matching host (pages through them)')
    .action(run((opts: Record<string, any>, cmd: Command) => hostsList(client(cmd), io, { ...opts, json: globals(cmd).json })));
  hosts.command('show').argument('<host>', 'host name or id').description('one host: every property and its resolved variables')
    .option('--region <name|id>', 'the region, when the name is not unique')
    .action(run((host: string, opts: { region?: string }, cmd: Command) => hostsShow(client(cmd), io, host, { ...opts, json: globals(cmd).json })));

  const vars = program.command('vars').description('variables of any object (id) or host (name) of the gateway');
  vars.command('get').argument('<target>', 'id of anything with variables, or a host name').option('--resolved', 'after inheritance (nearest level wins)')
    .description('print the variables')
    .action(run((target: string, opts: { resolved?: boolean }, cmd: Command) => varsGet(client(cmd), io, target, { ...opts, json: globals(cmd).json })));
  vars.command('set').argument('<target>', 'id or host name').argument('[pairs...]', 'key=value (auto-typed: 12, 1.5, true, null, "quoted string"); key= deletes')
    .description('set (and with key= delete) variables; with no pairs, a JSON object is read from standard input')
    .action(run((target: string, pairs: string[], _opts: unknown, cmd: Command) => varsSet(client(cmd), io, target, pairs, { json: globals(cmd).json })));
  vars.command('delete').argument('<target>', 'id or host name').argument('<keys...>', 'keys to delete')
    .description('delete variables (absent keys are ignored)')
    .action(run((target: string, keys: string[], _opts: unknown, cmd: Command) => varsDelete(client(cmd), io, target, keys, { json: globals(cmd).json })));

  const keys = program.command('keys').description('API keys');
  keys.command('create').description('create a key (for yourself, or --user as ADMIN); the secret is printed once')
    .option('--user <id>', 'user id (default: you)').option('--name <name>', 'a name to recognise the key by').option('--expires <iso>', 'expiry, ISO 8601')
    .action(run((opts: Record<string, string>, cmd: Command) => keysCreate(client(cmd), io, { ...opts, json: globals(cmd).json })));
  keys.command('list').description('your keys (--all: every user of the project, ADMIN)').option('--all', "every user's keys")
    .action(run((opts: { all?: boolean }, cmd: Command) => keysList(client(cmd), io, { ...opts, json: globals(cmd).json })));
  keys.command('revoke').argument('<id>', 'key id').description('revoke a key')
    .action(run((id: string, _opts: unknown, cmd: Command) => keysRevoke(client(cmd), io, id, { json: globals(cmd).json })));

  const workflow = program.command('workflow').description('workflow runs');
  workflow.command('start').argument('<name>', 'workflow name (query { workflows { name } })')
    .description('start a run; --follow tails its events with a progress bar and exits 0 only if it SUCCEEDED')
    .option('--target-label <label>', 'target devices with this label (repeat: all of them)', collect)
    .option('--target-vars <path:json>', 'target devices matching this variable search (repeat: AND)', collect)
    .option('--target-region <name>', 'target devices of this region')
    .option('--param <key=value>', 'a workflow parameter, auto-typed (repeat)', collect)
    .option('--batch-size <n>', 'targets per batch', positiveInt('--batch-size'))
    .option('--max-concurrency <n>', 'most targets at once', positiveInt('--max-concurrency'))
    .option('--dry-run', 'run only the tasks that are safe in a dry run')
    .option('--follow', 'tail the run until it ends; exit 0 only if it SUCCEEDED')
    .action(run((name: string, opts: Record<string, any>, cmd: Command) => workflowStart(client(cmd), io, name, { ...opts, json: globals(cmd).json })));

  return program;
}

/** Runs the CLI with `args` (without `node craton`); resolves to the exit status: 0 ok, 1 failure, 2 usage. */
export async function runCli(args: string[], io: CliIO): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  if (args.length === 0) {
    io.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr.write(`craton: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`craton: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
