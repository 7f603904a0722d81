import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CmsError, FakeCmsStore, type FakeCi, type FakeRelation } from './store.js';
import { routeCis, routeNamespaces, routeRelations } from './routes.js';

// A fake OneOps CMS REST adapter on 127.0.0.1 (a free port), faithful to the checklist in
// ../shared/data/oneops-cms-api.md §2.5: everything under /adapter/rest, optional Basic auth and
// X-Cms-Scope, Gson error bodies without a JSON content type, `{"deleted"}` / `{"updated"}` as text, lists
// streamed whole (no paging), epoch-ms dates. Knobs make it fail the ways a real one does.

/** One request as the fake saw it, for assertions on batching and headers. */
export interface SeenRequest {
  method: string;
  /** Path below /adapter/rest, e.g. `/cm/simple/cis/42`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a route returns: JSON (written as Jackson would), text (Spring's String bodies), or a JSON list to stream. */
export type Reply =
  | { json: unknown; status?: number }
  | { text: string; status?: number }
  | { stream: Iterable<unknown> };

export interface FakeOneOps {
  /** `http://127.0.0.1:<port>/adapter/rest`, the base URL to configure. */
  readonly url: string;
  readonly store: FakeCmsStore;
  /** Every request since start (or the last `resetRequests`), in arrival order. */
  readonly requests: SeenRequest[];
  resetRequests(): void;
  /** Requires HTTP Basic with these credentials (Spring Security's 401 otherwise); null: permitAll, the default. */
  auth: { username: string; password: string } | null;
  /** Answer every request with this status and a RUNTIME_EXCEPTION body (errorCode 9); null: behave. */
  failWith: number | null;
  /** Wait this long before answering (to exceed a client's timeout). */
  delayMs: number;
  /** Stops listening and drops open connections: later requests get ECONNREFUSED. */
  stop(): Promise<void>;
}

/** Starts a fake seeded with `seed`; `stop()` it in afterAll. */
export async function startFakeOneOps(seed: { cis?: FakeCi[]; relations?: FakeRelation[] } = {}): Promise<FakeOneOps> {
  const store = new FakeCmsStore(seed);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { auth: null as FakeOneOps['auth'], failWith: null as number | null, delayMs: 0 };
  const requests: SeenRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) writeError(res, 500, 9, (err as Error).message);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const prefix = '/adapter/rest';
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
    requests.push({ method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body });

    if (state.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (timers.delete(t), resolve()), state.delayMs);
        timers.add(t);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }
    if (state.auth && !authorised(req.headers.authorization, state.auth)) {
      // Spring Security's BasicAuthenticationEntryPoint: 401, a challenge, Tomcat's HTML page.
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Spring Security Application"', 'content-type': 'text/html;charset=utf-8' });
      res.end('<html><body><h1>HTTP Status 401 - Full authentication is required to access this resource</h1></body></html>');
      return;
    }
    if (state.failWith !== null) return writeError(res, state.failWith, 9, 'org.springframework.jdbc.CannotGetJdbcConnectionException: Could not get JDBC Connection');
    if (!url.pathname.startsWith(`${prefix}/`)) return notFound(res, url.pathname);

    const scope = headerValue(req.headers['x-cms-scope']);
    const user = headerValue(req.headers['x-cms-user']);
    const ctx = { method: req.method ?? 'GET', path, query: url.searchParams, body, scope, user, store };
    let reply: Reply | null;
    try {
      reply = routeCis(ctx) ?? routeRelations(ctx) ?? routeNamespaces(ctx);
    } catch (err) {
      if (err instanceof CmsError) return writeError(res, err.status, err.errorCode, err.message);
      return writeError(res, 500, 9, (err as Error).message);
    }
    if (!reply) return notFound(res, url.pathname);
    if ('stream' in reply) return streamList(res, reply.stream);
    if ('text' in reply) {
      // A String from a @ResponseBody method goes through StringHttpMessageConverter: text/plain, not JSON.
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain;charset=ISO-8859-1' });
      res.end(reply.text);
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(reply.json));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/adapter/rest`,
    store,
    requests,
    resetRequests: () => void requests.splice(0),
    get auth() {
      return state.auth;
    },
    set auth(v) {
      state.auth = v;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(v) {
      state.failWith = v;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

function headerValue(h: string | string[] | undefined): string | null {
  return Array.isArray(h) ? (h[0] ?? null) : (h ?? null);
}

function authorised(header: string | undefined, auth: { username: string; password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  return !!m && Buffer.from(m[1]!, 'base64').toString('utf8') === `${auth.username}:${auth.password}`;
}

/** AbstractRestController.sendError: Gson's ErrorResponse through the writer, no content type set. */
function writeError(res: ServerResponse, status: number, errorCode: number, message: string): void {
  res.writeHead(status);
  res.end(JSON.stringify({ code: status, errorCode, message }));
}

/** No handler mapping: Tomcat's HTML 404 page. */
function notFound(res: ServerResponse, path: string): void {
  res.writeHead(404, { 'content-type': 'text/html;charset=utf-8' });
  res.end(`<html><body><h1>HTTP Status 404 - ${path}</h1></body></html>`);
}

/** Writes a JSON array one element per write, as Jackson streams a big List: the client sees it in pieces. */
function streamList(res: ServerResponse, items: Iterable<unknown>): void {
  res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
  res.write('[');
  let first = true;
  for (const item of items) {
    res.write((first ? '' : ',') + JSON.stringify(item));
    first = false;
  }
  res.end(']');
}
