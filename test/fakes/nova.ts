/**
 * A fake Keystone + Nova + Placement on 127.0.0.1 (a free port), faithful to /work/shared/data/nova-api.md:
 * Keystone v3 password auth with a catalog pointing back at the fake, X-Auth-Token checks with
 * keystonemiddleware's 401, Nova microversions 2.1–2.104 (both capacity ranges, e.g. 2.60 and 2.90),
 * hypervisors, services, servers, os-migrateLive moving a server asynchronously one step per tick, migrations,
 * and Placement providers / inventories / usages. Knobs make it fail the ways a real cloud does; every
 * request is logged for assertions.
 *
 * Time: live migrations advance only on {@link FakeNova.tick} (tests call it from the driver's injected
 * sleep), or on a timer when `tickMs` is set.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { computeHeaders, handleCompute, negotiateCompute } from './nova/compute.js';
import { keystoneError, novaFault, placementError, type FakeRequest, type FakeResponse } from './nova/http.js';
import { FakeKeystone, type KeystoneMode } from './nova/keystone.js';
import { handlePlacement } from './nova/placement.js';
import { FakeWorld, type FakeFlavor, type FakeHostSeed, type FakeServerSeed } from './nova/world.js';

export type { FakeFlavor, FakeHostSeed, FakeServerSeed } from './nova/world.js';
export { FakeWorld, novaTime } from './nova/world.js';

/** Which part of the fake a request reached. */
export type FakeService = 'identity' | 'compute' | 'placement' | 'unknown';

/** One request as the fake saw it. */
export interface FakeNovaRequest {
  service: FakeService;
  /** `public`, `internal` (`/internal/...`) or `region-two` (`/r2/...`). */
  endpoint: 'public' | 'internal' | 'region-two';
  method: string;
  /** Path below the service prefix, e.g. `/os-services/<id>`; query not included. */
  route: string;
  query: URLSearchParams;
  /** `OpenStack-API-Version`, `X-OpenStack-Nova-API-Version`, and whether an X-Auth-Token came. */
  apiVersion: string | null;
  novaApiVersion: string | null;
  hasToken: boolean;
  body: unknown;
  /** The status answered, or 0 for a dropped connection. */
  status: number;
}

/** A failure to inject into matching requests (after the token check). */
export interface InjectedFault {
  service?: FakeService;
  method?: string;
  /** Matches `route` exactly (string) or by pattern. */
  route?: string | RegExp;
  /** HTTP status answered in the service's error shape, or `reset` to drop the connection. */
  status: number | 'reset';
  message?: string;
  /** @default 1 */
  times?: number;
}

/** Seed and behaviour of a fake; every field has a default. */
export interface FakeNovaOptions {
  hosts?: FakeHostSeed[];
  servers?: FakeServerSeed[];
  /** @default 'admin' / 'secret', project 'admin' */
  username?: string;
  password?: string;
  projectName?: string;
  /** @default 1 hour */
  tokenTtlMs?: number;
  /** The fake's clock (token expiry, timestamps). @default Date.now */
  now?: () => number;
  /** Auto-tick migrations every `tickMs`; 0 for manual ticks only. @default 0 */
  tickMs?: number;
  /** Nova `[api]/max_limit`. @default 1000 */
  maxLimit?: number;
}

/** A running fake, its state and its knobs. */
export interface FakeNova {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The Keystone URL to configure: `<url>/identity/v3`. */
  readonly authUrl: string;
  readonly projectId: string;
  readonly world: FakeWorld;
  readonly keystone: FakeKeystone;
  /** Every request in arrival order. */
  readonly requests: FakeNovaRequest[];
  /** Non-GET requests to Nova or Placement (authentication excluded): what a dry run must never send. */
  mutatingRequests(): FakeNovaRequest[];
  /** Advances every unfinished live migration `n` steps. */
  tick(n?: number): void;
  /** The next `times` migrations of a server end `failed` (rolled back) or `error` (server goes to ERROR). */
  failMigration(serverId: string, mode: 'failed' | 'error', times?: number): void;
  /** The next `times` updates of a host's nova-compute service answer 500. */
  failServiceUpdates(host: string, times: number): void;
  /**
   * Holds a server in `taskState` (default `image_snapshot`: a snapshot in progress) for `ticks` ticks:
   * os-migrateLive answers 409 Conflict until it clears (see FakeWorld.holdTaskState).
   */
  busyServer(serverId: string, ticks: number, taskState?: string): void;
  injectFault(fault: InjectedFault): void;
  /** Keystone answering, answering 503, or dropping connections. */
  setKeystone(mode: KeystoneMode): void;
  /** Delay every answer by this long (to exercise aborts and timeouts). */
  delayMs: number;
  stop(): Promise<void>;
}

/** The default flavors of the seed. */
export const FLAVORS = {
  small: { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  medium: { name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  large: { name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
} satisfies Record<string, FakeFlavor>;

/** compute1 and compute2 (16 vCPU, 64 GiB, 1 TB), compute3 (8 vCPU, 32 GiB, 500 GB); nodes are `<host>.example.org`. */
export const DEFAULT_HOSTS: FakeHostSeed[] = [
  { host: 'compute1', vcpus: 16, memoryMb: 65536, localGb: 1000 },
  { host: 'compute2', vcpus: 16, memoryMb: 65536, localGb: 1000 },
  { host: 'compute3', vcpus: 8, memoryMb: 32768, localGb: 500 },
];
/** web-1 (small), web-2 (medium), db-1 (large) on compute1; app-1 (small) on compute2. */
export const DEFAULT_SERVERS: FakeServerSeed[] = [
  { name: 'web-1', host: 'compute1', flavor: FLAVORS.small },
  { name: 'web-2', host: 'compute1', flavor: FLAVORS.medium },
  { name: 'db-1', host: 'compute1', flavor: FLAVORS.large },
  { name: 'app-1', host: 'compute2', flavor: FLAVORS.small },
];

/**
 * Seeds for a fleet of compute hosts named like the Craton devices that stand for them (node
 * `<name>.example.org`), with `serversPerHost(i)` servers of `flavor` on host `i` (default: i % 4, so
 * usage varies by host). For large audits: `startFakeNova(computeFleet(names))`.
 */
export function computeFleet(
  names: string[],
  options: { vcpus?: number; memoryMb?: number; localGb?: number; flavor?: FakeFlavor; serversPerHost?: (index: number) => number } = {},
): Pick<FakeNovaOptions, 'hosts' | 'servers'> {
  const { vcpus = 32, memoryMb = 131072, localGb = 2000, flavor = FLAVORS.small, serversPerHost = (i: number) => i % 4 } = options;
  const hosts: FakeHostSeed[] = names.map((host) => ({ host, vcpus, memoryMb, localGb }));
  const servers: FakeServerSeed[] = names.flatMap((host, i) =>
    Array.from({ length: serversPerHost(i) }, (_, j) => ({ name: `${host}-vm-${j}`, host, flavor })),
  );
  return { hosts, servers };
}

const PREFIX = /^\/(?:(internal|r2)\/)?(identity\/v3|compute\/v2\.1(?:\/[0-9a-f]{32})?|placement)(\/[^?]*)?$/;

/** Starts the fake; `stop()` it in afterAll. */
export async function startFakeNova(options: FakeNovaOptions = {}): Promise<FakeNova> {
  const now = options.now ?? Date.now;
  const projectId = randomBytes(16).toString('hex');
  const world = new FakeWorld({ hosts: options.hosts ?? DEFAULT_HOSTS, servers: options.servers ?? DEFAULT_SERVERS, projectId }, now);
  const keystone = new FakeKeystone({
    username: options.username ?? 'admin', password: options.password ?? 'secret', projectName: options.projectName ?? 'admin',
    projectId, tokenTtlMs: options.tokenTtlMs ?? 3_600_000, now,
  });
  const serviceUpdateFaults = new Map<string, number>();
  const faults: Array<InjectedFault & { remaining: number }> = [];
  const requests: FakeNovaRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { delayMs: 0 };
  let baseUrl = '';

  function route(req: FakeRequest, service: FakeService, log: FakeNovaRequest): FakeResponse {
    if (service === 'identity') return keystone.handle(req);
    if (service === 'unknown') return { status: 404, body: 'Not Found' };
    // keystonemiddleware rejects a bad token before the service sees the request.
    const token = req.headers['x-auth-token'];
    const tokenProject = keystone.validate(Array.isArray(token) ? token[0] : token);
    if (!tokenProject) return keystoneError(401, baseUrl);
    const fault = faults.find((f) => f.remaining > 0 && (!f.service || f.service === service) && (!f.method || f.method === req.method) &&
      (!f.route || (typeof f.route === 'string' ? f.route === log.route : f.route.test(log.route))));
    if (service === 'placement') {
      if (fault) return injected(fault, (s, m) => placementError(s, m, 14));
      return handlePlacement(world, req);
    }
    const version = negotiateCompute(req);
    if (version === 'reset' || !('minor' in version)) return version;
    const response = fault
      ? injected(fault, (s, m) => novaFault(s, m))
      : handleCompute({ world, req, minor: version.minor, projectId: tokenProject, maxLimit: options.maxLimit ?? 1000, serviceUpdateFaults });
    return response === 'reset' ? response : { ...response, headers: { ...computeHeaders(version.minor), ...response.headers } };
  }

  function injected(fault: InjectedFault & { remaining: number }, shape: (status: number, message: string) => FakeResponse): FakeResponse {
    fault.remaining--;
    if (fault.status === 'reset') return 'reset';
    return shape(fault.status, fault.message ?? `injected failure ${fault.status}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    let badJson = false;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      badJson = true;
    }
    const match = PREFIX.exec(url.pathname);
    const service: FakeService = !match ? 'unknown' : match[2]!.startsWith('identity') ? 'identity' : match[2]!.startsWith('compute') ? 'compute' : 'placement';
    const header = (name: string) => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v[0] : v) ?? null;
    };
    const log: FakeNovaRequest = {
      service, endpoint: match?.[1] === 'internal' ? 'internal' : match?.[1] === 'r2' ? 'region-two' : 'public',
      method: req.method ?? 'GET', route: match?.[3] ?? url.pathname, query: url.searchParams,
      apiVersion: header('openstack-api-version'), novaApiVersion: header('x-openstack-nova-api-version'), hasToken: !!header('x-auth-token'),
      body: badJson ? text : body, status: 0,
    };
    requests.push(log);
    const endpointUrl = match ? `${baseUrl}${url.pathname.slice(0, url.pathname.length - (match[3]?.length ?? 0))}` : baseUrl;
    const fakeReq: FakeRequest = { method: log.method, route: log.route, query: url.searchParams, headers: req.headers, body, badJson, baseUrl, endpointUrl };
    const response = route(fakeReq, service, log);
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (response === 'reset' || res.destroyed) {
      req.socket.destroy();
      return;
    }
    log.status = response.status;
    const json = response.body === undefined ? '' : typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    res.writeHead(response.status, { ...(json && typeof response.body !== 'string' ? { 'Content-Type': 'application/json' } : {}), ...response.headers });
    res.end(json);
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ computeFault: { code: 500, message: (err as Error).message } }));
      } else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ticker = options.tickMs ? setInterval(() => world.tick(), options.tickMs) : null;
  ticker?.unref();

  return {
    url: baseUrl,
    authUrl: `${baseUrl}/identity/v3`,
    projectId,
    world,
    keystone,
    requests,
    mutatingRequests: () => requests.filter((r) => r.method !== 'GET' && r.service !== 'identity'),
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) world.tick();
    },
    failMigration: (serverId, mode, times = Number.POSITIVE_INFINITY) => void world.migrationFaults.set(serverId, { mode, remaining: times }),
    failServiceUpdates: (host, times) => void serviceUpdateFaults.set(host, times),
    busyServer: (serverId, ticks, taskState = 'image_snapshot') => {
      const server = world.server(serverId);
      if (!server) throw new Error(`fake nova: no server ${serverId}`);
      world.holdTaskState(server, taskState, ticks);
    },
    injectFault: (fault) => void faults.push({ ...fault, remaining: fault.times ?? 1 }),
    setKeystone: (mode) => {
      keystone.mode = mode;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (ticker) clearInterval(ticker);
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
