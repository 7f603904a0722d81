// Structured logs: one JSON line per GraphQL operation with request id, operation, project, user,
// duration, SQL statements and error codes; for HTTP and for graphql-ws.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { randomKey } from '../helpers/gateway.js';
import { subscribe } from '../helpers/ws.js';

interface Line {
  level: number;
  msg: string;
  requestId?: string;
  transport?: string;
  operation?: string;
  operationType?: string;
  projectId?: number | null;
  user?: string | null;
  durationMs?: number;
  sqlStatements?: number | null;
  errorCodes?: string[];
  httpStatus?: number;
  [key: string]: unknown;
}

describe('operation logs', () => {
  let dir: string;
  let gateway: Gateway;
  let url: string;
  const key = randomKey();
  const lines: Line[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'craton-logs-'));
    const config = loadConfig({
      CRATON_DATABASE_URL: `sqlite:${join(dir, 'craton.sqlite')}`,
      CRATON_BOOTSTRAP_KEY: key,
      PORT: '0',
      HOST: '127.0.0.1',
      CRATON_LOG_LEVEL: 'info',
    });
    const stream = { write: (s: string) => { for (const l of s.split('\n')) if (l.trim()) lines.push(JSON.parse(l)); } };
    const logger = pino({ level: config.logLevel, base: { service: 'craton' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
    gateway = await createGateway(config, { logger });
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const operations = () => lines.filter((l) => l.msg === 'graphql operation' || l.msg === 'graphql subscription ended');

  async function post(query: string, opts: { requestId?: string; key?: string | null; variables?: object; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.key !== null) headers.authorization = `Bearer ${opts.key ?? key}`;
    if (opts.requestId) headers['x-request-id'] = opts.requestId;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: opts.variables ?? {} }) });
    await res.text();
    return res;
  }

  /** The one operation line of a request (waits briefly: the line is written when the response finishes). */
  async function lineOf(requestId: string): Promise<Line> {
    for (let i = 0; i < 100; i++) {
      const found = operations().filter((l) => l.requestId === requestId);
      if (found.length) {
        await new Promise((r) => setTimeout(r, 50));
        const all = operations().filter((l) => l.requestId === requestId);
        expect(all, `operation lines of ${requestId}`).toHaveLength(1);
        return all[0]!;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no operation line for ${requestId}; got ${JSON.stringify(operations())}`);
  }

  it('writes one JSON line per query with every field', async () => {
    await post('query LogWhoAmI { me { user { name } } }', { requestId: 'log-query-1', headers: { 'x-craton-debug-sql': '1' } });
    const line = await lineOf('log-query-1');
    expect(line).toMatchObject({
      level: 30,
      service: 'craton',
      msg: 'graphql operation',
      requestId: 'log-query-1',
      transport: 'http',
      operation: 'LogWhoAmI',
      operationType: 'query',
      user: 'root',
      errorCodes: [],
      httpStatus: 200,
    });
    expect(typeof line.projectId).toBe('number');
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.sqlStatements).toBeGreaterThanOrEqual(1);
    expect(typeof line.time).toBe('string');
    expect(JSON.stringify(line)).not.toContain(key);
  });

  it('leaves sqlStatements null for requests that are not counted (CRATON_COUNT_SQL is off by default)', async () => {
    await post('query LogUncounted { me { user { name } } }', { requestId: 'log-uncounted-1' });
    expect(await lineOf('log-uncounted-1')).toMatchObject({ operation: 'LogUncounted', sqlStatements: null, errorCodes: [] });
  });

  it('logs mutations, and the error codes of failed operations', async () => {
    await post('mutation LogMakeCloud { createCloud(input: { name: "log-cloud" }) { id } }', { requestId: 'log-mutation-1' });
    expect(await lineOf('log-mutation-1')).toMatchObject({ operation: 'LogMakeCloud', operationType: 'mutation', errorCodes: [] });

    await post('query LogNotFound { node(id: "Q2xvdWQ6OTk5OTk5") { id } }', { requestId: 'log-error-1' });
    await post('query LogInvalid { nope }', { requestId: 'log-error-2' });
    expect((await lineOf('log-error-2')).errorCodes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await post('query LogUnauth { me { user { name } } }', { requestId: 'log-error-3', key: null });
    const unauth = await lineOf('log-error-3');
    expect(unauth).toMatchObject({ operation: 'anonymous', operationType: 'unknown', errorCodes: ['UNAUTHENTICATED'], user: null, projectId: null });
    expect(unauth.httpStatus).toBe(401);
    const notFound = await lineOf('log-error-1');
    expect(notFound.operation).toBe('LogNotFound');
  });

  it('generates a request id when the client sends none, and logs that one', async () => {
    const res = await post('query LogNoId { me { role } }');
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await lineOf(id)).operation).toBe('LogNoId');
  });

  it('logs a graphql-ws subscription once, when it ends', async () => {
    const sub = subscribe(url, 'subscription LogLive { inventoryChanged { action } }', {}, { authorization: `Bearer ${key}` });
    try {
      // Make changes until the subscription delivers one (it becomes live asynchronously).
      for (let i = 0; sub.results.length === 0 && i < 50; i++) {
        await post(`mutation { createCloud(input: { name: "log-sub-${i}" }) { id } }`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await sub.next();
      expect(operations().filter((l) => l.operation === 'LogLive')).toHaveLength(0);
    } finally {
      await sub.dispose();
    }
    for (let i = 0; i < 100 && !operations().some((l) => l.operation === 'LogLive'); i++) await new Promise((r) => setTimeout(r, 20));
    const ended = operations().filter((l) => l.operation === 'LogLive');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ msg: 'graphql subscription ended', transport: 'ws', operationType: 'subscription', user: 'root', errorCodes: [] });
    expect(typeof ended[0]!.projectId).toBe('number');
    expect(ended[0]!.requestId).toMatch(/^[\w.-]+$/);
  });

  it('does not log routes that are not operations', async () => {
    const before = operations().length;
    await fetch(`${url}/healthz`);
    await fetch(`${url}/graphql`, { method: 'OPTIONS' });
    await new Promise((r) => setTimeout(r, 50));
    expect(operations().length).toBe(before);
  });
});
