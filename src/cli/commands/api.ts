import { autoType } from '../../import/values.js';
import { CratonClient, GraphQLRequestError, isGlobalId } from '../client.js';
import { CliError, type CliIO } from '../io.js';
import { display, json, propertyTable, table } from '../output.js';

// Commands against a running gateway (CRATON_URL, CRATON_API_KEY): hosts, variables, API keys.

export interface ApiOptions {
  json?: boolean;
}

// ---------------------------------------------------------------------------------------------------- hosts

export interface HostListOptions extends ApiOptions {
  label?: string[];
  vars?: string[];
  region?: string;
  cell?: string;
  limit?: number;
  all?: boolean;
}

interface HostNode {
  id: string;
  name: string;
  ipAddress: string | null;
  deviceType: string;
  active: boolean;
  labels: string[];
  region: { name: string };
  cell: { name: string } | null;
}

const HOSTS = `query CratonCliHosts($first: Int, $after: String, $filter: DeviceFilter) {
  hosts(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name ipAddress deviceType active labels region { name } cell { name } } }
  }
}`;

/** `craton hosts list`: pages through `hosts` (1000 per request) up to --limit (default 100) or everything (--all). */
export async function hostsList(client: CratonClient, io: CliIO, opts: HostListOptions): Promise<number> {
  const filter: Record<string, unknown> = {};
  if (opts.label?.length) filter.labels = opts.label;
  if (opts.vars?.length) filter.vars = opts.vars.join(',');
  if (opts.region) filter.regionId = await regionId(client, opts.region);
  if (opts.cell) filter.cellId = await cellId(client, opts.cell, filter.regionId as string | undefined);
  const limit = opts.all ? Infinity : opts.limit ?? 100;
  const hosts: HostNode[] = [];
  let after: string | null = null;
  let total = 0;
  while (hosts.length < limit) {
    const first = Math.min(1000, limit - hosts.length);
    const data: { hosts: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: HostNode }> } } =
      await client.request(HOSTS, { first, after, filter });
    total = data.hosts.totalCount;
    hosts.push(...data.hosts.edges.map((e) => e.node));
    if (!data.hosts.pageInfo.hasNextPage) break;
    after = data.hosts.pageInfo.endCursor;
  }
  if (opts.json) {
    io.stdout.write(json(hosts.map((h) => ({ id: h.id, name: h.name, ip_address: h.ipAddress, device_type: h.deviceType, active: h.active, region: h.region.name, cell: h.cell?.name ?? null, labels: h.labels }))));
    return 0;
  }
  io.stdout.write(table(['id', 'name', 'ip_address', 'device_type', 'active', 'region', 'cell', 'labels'],
    hosts.map((h) => [h.id, h.name, h.ipAddress, h.deviceType, h.active, h.region.name, h.cell?.name, h.labels.join(', ')])));
  if (hosts.length < total) io.stderr.write(`${hosts.length} of ${total} hosts shown; use --limit N or --all for more\n`);
  return 0;
}

async function regionId(client: CratonClient, name: string): Promise<string> {
  if (isGlobalId(name, 'Region')) return name;
  const data = await client.request<{ regions: { edges: Array<{ node: { id: string; cloud: { name: string } } }> } }>(
    'query CratonCliRegion($name: String) { regions(name: $name, first: 100) { edges { node { id cloud { name } } } } }', { name },
  );
  const found = data.regions.edges;
  if (!found.length) throw new CliError(`no region named '${name}'`);
  if (found.length > 1) throw new CliError(`${found.length} regions are named '${name}' (clouds ${found.map((e) => e.node.cloud.name).join(', ')}); pass the region id`);
  return found[0]!.node.id;
}

async function cellId(client: CratonClient, name: string, region?: string): Promise<string> {
  if (isGlobalId(name, 'Cell')) return name;
  const data = await client.request<{ cells: { edges: Array<{ node: { id: string; region: { name: string } } }> } }>(
    'query CratonCliCell($name: String, $regionId: ID) { cells(name: $name, regionId: $regionId, first: 100) { edges { node { id region { name } } } } }', { name, regionId: region },
  );
  const found = data.cells.edges;
  if (!found.length) throw new CliError(`no cell named '${name}'${region ? ' in that region' : ''}`);
  if (found.length > 1) throw new CliError(`${found.length} cells are named '${name}' (regions ${found.map((e) => e.node.region.name).join(', ')}); add --region`);
  return found[0]!.node.id;
}

/** A host's global id from an id or a name (unique in the project, or within --region). */
async function hostId(client: CratonClient, nameOrId: string, region?: string): Promise<string> {
  if (isGlobalId(nameOrId)) return nameOrId;
  const filter: Record<string, unknown> = { name: nameOrId };
  if (region) filter.regionId = await regionId(client, region);
  const data = await client.request<{ hosts: { edges: Array<{ node: { id: string; region: { name: string } } }> } }>(
    'query CratonCliHostByName($filter: DeviceFilter) { hosts(first: 20, filter: $filter) { edges { node { id region { name } } } } }', { filter },
  );
  const found = data.hosts.edges;
  if (!found.length) throw new CliError(`no host named '${nameOrId}'${region ? ` in region '${region}'` : ''}`);
  if (found.length > 1) throw new CliError(`${found.length} hosts are named '${nameOrId}' (regions ${found.map((e) => e.node.region.name).join(', ')}); add --region or pass the id`);
  return found[0]!.node.id;
}

const HOST_SHOW = `query CratonCliHost($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Device {
      name ipAddress deviceType active note labels createdAt updatedAt
      cloud { name } region { name } cell { name } parent { id name }
      resolvedVariables variableOrigins { key holder { __typename id } }
    }
  }
}`;

/** `craton hosts show NAME|ID`: every property and the resolved variables. */
export async function hostsShow(client: CratonClient, io: CliIO, nameOrId: string, opts: ApiOptions & { region?: string }): Promise<number> {
  const id = await hostId(client, nameOrId, opts.region);
  const data = await client.request<{ node: Record<string, any> | null }>(HOST_SHOW, { id });
  const h = data.node;
  if (!h || !('name' in h)) throw new CliError(`no host with id '${id}'`);
  const props: Array<[string, unknown]> = [
    ['id', h.id], ['name', h.name], ['type', h.__typename], ['ip_address', h.ipAddress], ['device_type', h.deviceType], ['active', h.active],
    ['cloud', h.cloud?.name], ['region', h.region?.name], ['cell', h.cell?.name], ['parent', h.parent?.name], ['labels', h.labels.join(', ')],
    ['note', h.note], ['created_at', h.createdAt], ['updated_at', h.updatedAt], ['variables (resolved)', h.resolvedVariables],
  ];
  if (opts.json) io.stdout.write(json(Object.fromEntries(props.map(([k, v]) => [k === 'variables (resolved)' ? 'resolved_variables' : k, v ?? null]))));
  else io.stdout.write(propertyTable(props));
  return 0;
}

// ------------------------------------------------------------------------------------------------ variables

/** The holder's id: a global id of anything that carries variables, or a host name. */
async function holderId(client: CratonClient, nameOrId: string): Promise<string> {
  return isGlobalId(nameOrId) ? nameOrId : hostId(client, nameOrId);
}

async function variablesOf(client: CratonClient, id: string, resolved: boolean): Promise<Record<string, unknown>> {
  const data = await client.request<{ node: { variables?: Record<string, unknown>; resolvedVariables?: Record<string, unknown> } | null }>(
    `query CratonCliVars($id: ID!) { node(id: $id) { ... on VariableHolder { ${resolved ? 'resolvedVariables' : 'variables'} } } }`, { id },
  );
  const vars = resolved ? data.node?.resolvedVariables : data.node?.variables;
  if (!vars) throw new CliError(`'${id}' is not something that carries variables`);
  return vars;
}

function printVars(io: CliIO, vars: Record<string, unknown>, asJson?: boolean): void {
  if (asJson) io.stdout.write(json(vars));
  else io.stdout.write(table(['Variable', 'Value'], Object.keys(vars).sort().map((k) => [k, display(vars[k])])));
}

/** `craton vars get ID|NAME [--resolved]`. */
export async function varsGet(client: CratonClient, io: CliIO, target: string, opts: ApiOptions & { resolved?: boolean }): Promise<number> {
  printVars(io, await variablesOf(client, await holderId(client, target), !!opts.resolved), opts.json);
  return 0;
}

/**
 * Parses `key=value` arguments as the original client did: values auto-typed (see autoType), `key=` deletes
 * the key. Returns the values to set and the keys to delete.
 */
export function parsePairs(pairs: string[]): { values: Record<string, unknown>; deletes: string[] } {
  const values: Record<string, unknown> = {};
  const deletes: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value (or key= to delete), got '${pair}'`, 2);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (raw === '') deletes.push(key);
    else values[key] = autoType(raw);
  }
  return { values, deletes };
}

/** `craton vars set ID|NAME key=value … [key=]`, or a JSON object on stdin when no pair is given. */
export async function varsSet(client: CratonClient, io: CliIO, target: string, pairs: string[], opts: ApiOptions): Promise<number> {
  let values: Record<string, unknown>;
  let deletes: string[] = [];
  if (pairs.length) ({ values, deletes } = parsePairs(pairs));
  else {
    if (io.stdin.isTTY) throw new CliError('give key=value pairs, or pipe a JSON object on standard input', 2);
    const text = await readAll(io.stdin);
    try {
      values = JSON.parse(text);
    } catch (err) {
      throw new CliError(`standard input is not JSON: ${(err as Error).message}`, 2);
    }
    if (!values || typeof values !== 'object' || Array.isArray(values)) throw new CliError('standard input must be a JSON object of key → value', 2);
  }
  const id = await holderId(client, target);
  if (Object.keys(values).length) await client.request('mutation CratonCliSetVars($id: ID!, $values: JSON!) { setVariables(id: $id, values: $values) { id } }', { id, values });
  if (deletes.length) await client.request('mutation CratonCliDeleteVars($id: ID!, $keys: [String!]!) { deleteVariables(id: $id, keys: $keys) { id } }', { id, keys: deletes });
  printVars(io, await variablesOf(client, id, false), opts.json);
  return 0;
}

/** `craton vars delete ID|NAME key …`. */
export async function varsDelete(client: CratonClient, io: CliIO, target: string, keys: string[], opts: ApiOptions): Promise<number> {
  const id = await holderId(client, target);
  await client.request('mutation CratonCliDeleteVars($id: ID!, $keys: [String!]!) { deleteVariables(id: $id, keys: $keys) { id } }', { id, keys });
  printVars(io, await variablesOf(client, id, false), opts.json);
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(parts).toString('utf8');
}

// ----------------------------------------------------------------------------------------------------- keys

const KEY_FIELDS = 'id name prefix createdAt expiresAt lastUsedAt revokedAt';
interface KeyNode { id: string; name: string | null; prefix: string; createdAt: string; expiresAt: string | null; lastUsedAt: string | null; revokedAt: string | null }

/** `craton keys create [--user ID] [--name N] [--expires ISO]`: prints the secret once. */
export async function keysCreate(client: CratonClient, io: CliIO, opts: ApiOptions & { user?: string; name?: string; expires?: string }): Promise<number> {
  let userId = opts.user;
  if (!userId) userId = (await client.request<{ me: { user: { id: string } } }>('query CratonCliMe { me { user { id } } }')).me.user.id;
  let expiresAt: string | undefined;
  if (opts.expires) {
    const d = new Date(opts.expires);
    if (Number.isNaN(d.getTime())) throw new CliError(`--expires must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z, got '${opts.expires}'`, 2);
    expiresAt = d.toISOString();
  }
  const data = await client.request<{ createApiKey: { secret: string; apiKey: KeyNode & { user: { name: string } } } }>(
    `mutation CratonCliCreateKey($userId: ID!, $name: String, $options: CreateApiKeyOptions) {
      createApiKey(userId: $userId, name: $name, options: $options) { secret apiKey { ${KEY_FIELDS} user { name } } }
    }`,
    { userId, name: opts.name ?? null, options: expiresAt ? { expiresAt } : null },
  );
  const { secret, apiKey } = data.createApiKey;
  if (opts.json) io.stdout.write(json({ secret, ...keyRow(apiKey), user: apiKey.user.name }));
  else {
    io.stdout.write(propertyTable([['id', apiKey.id], ['name', apiKey.name], ['user', apiKey.user.name], ['prefix', apiKey.prefix], ['expires_at', apiKey.expiresAt], ['secret', secret]], 100));
    io.stderr.write('The secret is shown only this once; store it now.\n');
  }
  return 0;
}

function keyRow(k: KeyNode) {
  return { id: k.id, name: k.name, prefix: k.prefix, created_at: k.createdAt, expires_at: k.expiresAt, last_used_at: k.lastUsedAt, revoked_at: k.revokedAt };
}

/** `craton keys list [--all]`: the caller's keys, or (ADMIN, --all) every user's in the project. */
export async function keysList(client: CratonClient, io: CliIO, opts: ApiOptions & { all?: boolean }): Promise<number> {
  let users: Array<{ name: string; apiKeys: KeyNode[] }>;
  if (opts.all) {
    const data = await client.request<{ me: { project: { users: { edges: Array<{ node: { name: string; apiKeys: KeyNode[] } }> } } } }>(
      `query CratonCliAllKeys { me { project { users(first: 1000) { edges { node { name apiKeys { ${KEY_FIELDS} } } } } } } }`,
    );
    users = data.me.project.users.edges.map((e) => e.node);
  } else {
    const data = await client.request<{ me: { user: { name: string; apiKeys: KeyNode[] } } }>(`query CratonCliKeys { me { user { name apiKeys { ${KEY_FIELDS} } } } }`);
    users = [data.me.user];
  }
  const keys = users.flatMap((u) => u.apiKeys.map((k) => ({ ...keyRow(k), user: u.name })));
  if (opts.json) io.stdout.write(json(keys));
  else io.stdout.write(table(['id', 'name', 'user', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'],
    keys.map((k) => [k.id, k.name, k.user, k.prefix, k.created_at, k.expires_at, k.last_used_at, k.revoked_at])));
  return 0;
}

/** `craton keys revoke ID`. */
export async function keysRevoke(client: CratonClient, io: CliIO, id: string, opts: ApiOptions): Promise<number> {
  const data = await client.request<{ revokeApiKey: boolean }>('mutation CratonCliRevoke($id: ID!) { revokeApiKey(id: $id) }', { id });
  if (opts.json) io.stdout.write(json({ id, revoked: data.revokeApiKey }));
  else io.stdout.write(data.revokeApiKey ? `revoked ${id}\n` : `${id} was already revoked\n`);
  return 0;
}

export { GraphQLRequestError };
