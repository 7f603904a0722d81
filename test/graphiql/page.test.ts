// GraphiQL over HTTP (no browser): who gets the page, what it references, and that its files are served
// from the gateway itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('GraphiQL page', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startGateway('sqlite');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves HTML to a browser on GET /graphql, referencing only files on the gateway', async () => {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<div id="graphiql">');
    // No absolute URL at all (so no CDN): every src/href is a path on this origin, or data:.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(6);
    for (const ref of refs) expect(ref, ref).toMatch(/^(\/graphiql\/assets\/|data:)/);

    // Every referenced file is served, with a sensible type and real content.
    for (const ref of refs.filter((r) => r.startsWith('/'))) {
      const a = await fetch(`${t.url}${ref}`);
      expect(a.status, ref).toBe(200);
      const type = a.headers.get('content-type') ?? '';
      if (ref.includes('.js')) expect(type, ref).toMatch(/javascript/);
      if (ref.includes('.css')) expect(type, ref).toMatch(/text\/css/);
      const body = await a.text();
      expect(body.length, ref).toBeGreaterThan(100);
      // The third-party bundles come from node_modules and load nothing from elsewhere at run time.
      expect(body).not.toMatch(/(?:src|href)\s*=\s*["']https?:\/\/(?!www\.w3\.org)/);
    }
  });

  it('serves the vendor files from node_modules (React UMD, GraphiQL bundle)', async () => {
    const react = await (await fetch(`${t.url}/graphiql/assets/react.production.min.js`)).text();
    expect(react).toMatch(/React/);
    const graphiql = await fetch(`${t.url}/graphiql/assets/graphiql.min.js`);
    expect(graphiql.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(await graphiql.text()).toContain('createFetcher');
    expect((await fetch(`${t.url}/graphiql/assets/index.umd.js.map`)).status).toBe(200);
  });

  it('refuses anything else under /graphiql/assets', async () => {
    for (const path of ['nope.js', '..%2Fpackage.json', '%2E%2E%2F%2E%2E%2Fpackage.json', 'package.json']) {
      const res = await fetch(`${t.url}/graphiql/assets/${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('leaves other GETs to Apollo: JSON clients, and GET with a query', async () => {
    const json = await fetch(`${t.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    const plain = await fetch(`${t.url}/graphql`);
    expect(plain.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    const q = encodeURIComponent('{ me { user { name } } }');
    const get = await fetch(`${t.url}/graphql?query=${q}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${t.rootKey}`, 'apollo-require-preflight': '1' },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { me: { user: { name: 'root' } } } });
    // POST is untouched, whatever the Accept header.
    const post = await t.gql('{ me { user { name } } }', {}, { headers: { accept: BROWSER_ACCEPT } });
    expect(post.body.data).toEqual({ me: { user: { name: 'root' } } });
  });
});

describe('GraphiQL disabled', () => {
  it('answers 404 to browsers (not a CDN-backed landing page) when CRATON_GRAPHIQL=false', async () => {
    const t = await startGateway('sqlite', { env: { CRATON_GRAPHIQL: 'false' } });
    try {
      const res = await fetch(`${t.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('CRATON_GRAPHIQL');
      expect((await fetch(`${t.url}/graphiql/assets/graphiql.min.js`)).status).toBe(404);
      expect((await t.ok('{ me { user { name } } }')).me.user.name).toBe('root');
    } finally {
      await t.stop();
    }
  });
});
