// Shared by the federation end-to-end tests: the sources file, a OneOps endpoint that can go down and come back,
// Craton objects for placements to name, and small readers of the answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { makeCell, makeCloud, makeRegion } from '../helpers/fixtures.js';
import type { GqlResponse, TestGateway } from '../helpers/gateway.js';

/** The example plugin (plain ESM, loaded by the gateway at start-up). */
export const STATIC_PLUGIN = resolve('test/fixtures/plugins/static-source.mjs');
/** The Ansible INI fixture: 7 hosts, groups web/db/region_ord, host var `cell` on the web hosts. */
export const ANSIBLE_INI = resolve('test/fixtures/ansible/hosts.ini');

/** A config file in a temp folder of its own; `relative(target)` spells a path relative to it, as operators do. */
export interface SourcesFile {
  path: string;
  dir: string;
  /** `target` relative to the config file's folder (what `module:` and `connection.path` accept). */
  relative(target: string): string;
  /** Replaces the file's content (the gateway reads it at start-up only). */
  write(sources: unknown[]): void;
  remove(): void;
}

export function sourcesFile(): SourcesFile {
  const dir = mkdtempSync(join(tmpdir(), 'craton-fed-'));
  const path = join(dir, 'craton.yaml');
  return {
    path,
    dir,
    relative: (target) => relative(dir, target),
    write: (sources) => writeFileSync(path, dump({ sources }, { lineWidth: 160 })),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A TCP forwarder in front of a server (the fake OneOps), on a port of its own that stays the same across
 * `down()` and `up()`: down closes the port and cuts open connections (callers get ECONNREFUSED, as with a
 * stopped CMS), up listens again on the same port.
 */
export interface Switchable {
  /** The target's URL with the forwarder's host and port. */
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function switchable(targetUrl: string): Promise<Switchable> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const forward = (client: Socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    track(client);
    track(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  };
  const listen = (server: Server, port: number) =>
    new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => ok());
    });
  let server: Server | null = createServer(forward);
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const down = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (s?.listening) await new Promise<void>((ok) => s.close(() => ok()));
  };
  return {
    url: `${target.protocol}//127.0.0.1:${port}${target.pathname}`,
    down,
    up: async () => {
      if (server) return;
      server = createServer(forward);
      await listen(server, port);
    },
    close: down,
  };
}

/** Global ids of the Craton objects created by {@link makePlaces}, by name. */
export interface Places {
  clouds: Record<string, string>;
  regions: Record<string, string>;
  cells: Record<string, string>;
}

/**
 * Creates the clouds, regions and cells that sources' placements name (region and cell names must be unique
 * across the spec, which keeps the lookup by name simple): `{ cloud: { region: [cells] } }`.
 */
export async function makePlaces(
  t: TestGateway,
  spec: Record<string, Record<string, string[]>>,
  variables: Record<string, Record<string, unknown>> = {},
): Promise<Places> {
  const out: Places = { clouds: {}, regions: {}, cells: {} };
  for (const [cloud, regions] of Object.entries(spec)) {
    out.clouds[cloud] = (await makeCloud(t, cloud, variables[cloud])).id;
    for (const [region, cells] of Object.entries(regions)) {
      out.regions[region] = (await makeRegion(t, { cloudId: out.clouds[cloud]!, name: region, variables: variables[region] })).id;
      for (const cell of cells) {
        out.cells[cell] = (await makeCell(t, { regionId: out.regions[region]!, name: cell, variables: variables[cell] })).id;
      }
    }
  }
  return out;
}

/** Names of a connection's nodes, in order. */
export function names(connection: { edges: Array<{ node: { name: string } }> }): string[] {
  return connection.edges.map((e) => e.node.name);
}

/** `{ name: id }` of a connection's nodes. */
export function idsByName(connection: { edges: Array<{ node: { id: string; name: string } }> }): Record<string, string> {
  return Object.fromEntries(connection.edges.map((e) => [e.node.name, e.node.id]));
}

/** The errors of an answer whose code is SOURCE_UNAVAILABLE. */
export function unavailable(res: GqlResponse) {
  return (res.body.errors ?? []).filter((e) => e.extensions?.code === 'SOURCE_UNAVAILABLE');
}
