import { Agent, request } from 'node:http';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/server.js';
import type { BenchStore } from './store.js';

/** A GraphQL endpoint and the key to call it with. */
export interface Endpoint {
  url: string;
  key?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Raw POST /graphql: the body as text (not parsed) and the wall time from send to last byte, ms. A request
 * sent on a reused keep-alive socket that the server had just closed (ECONNRESET before any response; it
 * happens when the gateway's event loop was blocked past its keep-alive timeout) is sent again once, on a
 * new socket, as Node's documentation recommends.
 */
export async function postRaw(ep: Endpoint, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; ms: number }> {
  try {
    return await postOnce(ep, body, headers);
  } catch (err) {
    if ((err as { retryable?: boolean }).retryable) return postOnce(ep, body, headers);
    throw err;
  }
}

function postOnce(ep: Endpoint, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const u = new URL('/graphql', ep.url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(ep.key ? { authorization: `Bearer ${ep.key}` } : {}), ...headers,
      } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { retryable: true });
      reject(err);
    });
    req.end(body);
  });
}

/** POST /graphql and parse; throws on GraphQL errors. With `debugSql`, also returns extensions.sqlStatements. */
export async function gql<T = any>(ep: Endpoint, query: string, variables: Record<string, unknown> = {}, debugSql = false): Promise<{ data: T; sqlStatements?: number; ms: number; bytes: number }> {
  const res = await postRaw(ep, JSON.stringify({ query, variables }), debugSql ? { 'x-craton-debug-sql': '1' } : {});
  let body: { data?: T; errors?: Array<{ message: string }>; extensions?: { sqlStatements?: number } };
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`POST /graphql: HTTP ${res.status}, not JSON: ${res.text.slice(0, 300)}`);
  }
  if (body.errors?.length || body.data == null) throw new Error(`GraphQL error: ${JSON.stringify(body.errors ?? body).slice(0, 600)}\nquery: ${query.slice(0, 300)}`);
  if (debugSql && typeof body.extensions?.sqlStatements !== 'number') {
    throw new Error(`expected extensions.sqlStatements with header x-craton-debug-sql: 1, got ${JSON.stringify(body.extensions)}`);
  }
  return { data: body.data, sqlStatements: body.extensions?.sqlStatements, ms: res.ms, bytes: res.text.length };
}

/** The product's gateway (createGateway(loadConfig(env))) on a store, listening on 127.0.0.1 and a free port. */
export async function startGateway(store: BenchStore, key: string, env: Record<string, string> = {}): Promise<{ gateway: Gateway; ep: Endpoint }> {
  const config = loadConfig({
    CRATON_DATABASE_URL: store.url,
    CRATON_BOOTSTRAP_KEY: key,
    PORT: '0',
    HOST: '127.0.0.1',
    CRATON_LOG_LEVEL: process.env.CRATON_BENCH_LOG_LEVEL ?? 'error',
    ...env,
  });
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  return { gateway, ep: { url, key } };
}

export function closeAgent(): void {
  agent.destroy();
}
