import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';
import { CLIENT_CSS, CLIENT_SCRIPT, renderPage } from './page.js';

/** Where the page's files are served from (all on the gateway itself: the page works offline). */
export const ASSET_BASE = '/graphiql/assets';

const require = createRequire(import.meta.url);

/** A third-party file served from node_modules: package, path inside it, content type. */
const VENDOR_FILES: Record<string, { pkg: string; file: string; type: string }> = {
  'react.production.min.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.production.min.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.min.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  // graphiql.min.js names its source map index.umd.js.map (it is a copy of dist/index.umd.js).
  'index.umd.js.map': { pkg: 'graphiql', file: 'graphiql.min.js.map', type: 'application/json' },
  'graphiql.min.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/** Content-Security-Policy of the page: nothing but this origin (and data: fonts/images GraphiQL embeds). */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function packageDir(pkg: string): string {
  return dirname(require.resolve(`${pkg}/package.json`));
}

function packageVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string }).version;
}

/** True for a browser navigating to the endpoint: it prefers HTML and asks for no operation. */
function wantsPage(req: Request): boolean {
  if (req.query.query !== undefined) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * Serves GraphiQL on `GET /graphql` to browsers (`Accept: text/html`, no `query` parameter); every other
 * request goes on to Apollo. Its files come from the gateway itself under /graphiql/assets/: React,
 * ReactDOM and GraphiQL from node_modules (resolved at start-up), and Craton's start-up script. When
 * disabled, browsers get a 404 here rather than Apollo's landing page (which loads from a CDN).
 * Mount it before Apollo's /graphql middleware.
 */
export function mountGraphiql(app: Express, opts: { enabled: boolean; logger?: Logger }): void {
  if (!opts.enabled) {
    app.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
      if (!wantsPage(req)) return next();
      res.status(404).type('text/plain').send('GraphiQL is disabled on this gateway (CRATON_GRAPHIQL=false). The API is POST /graphql.\n');
    });
    return;
  }

  const files = new Map<string, { path: string; type: string }>();
  for (const [name, { pkg, file, type }] of Object.entries(VENDOR_FILES)) {
    try {
      const path = join(packageDir(pkg), file);
      if (existsSync(path)) files.set(name, { path, type });
      else opts.logger?.warn({ pkg, file }, 'GraphiQL asset missing');
    } catch (err) {
      opts.logger?.warn({ err, pkg }, 'GraphiQL asset package not installed');
    }
  }
  const own: Record<string, { body: string; type: string }> = {
    'craton-graphiql.js': { body: CLIENT_SCRIPT, type: 'text/javascript' },
    'craton-graphiql.css': { body: CLIENT_CSS, type: 'text/css' },
  };
  const ownVersion = createHash('sha256').update(CLIENT_SCRIPT).update(CLIENT_CSS).digest('hex').slice(0, 12);
  let vendorVersion = 'unknown';
  try {
    vendorVersion = `${packageVersion('graphiql')}-${packageVersion('react')}`;
  } catch {
    // reported above
  }
  const url = (name: string, v: string) => `${ASSET_BASE}/${name}?v=${encodeURIComponent(v)}`;
  const page = renderPage({
    css: [url('graphiql.min.css', vendorVersion), url('craton-graphiql.css', ownVersion)],
    js: [
      url('react.production.min.js', vendorVersion),
      url('react-dom.production.min.js', vendorVersion),
      url('graphiql.min.js', vendorVersion),
      url('craton-graphiql.js', ownVersion),
    ],
  });

  app.get(`${ASSET_BASE}/:name`, (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.name);
    const mine = own[name];
    res.set('X-Content-Type-Options', 'nosniff');
    if (mine) {
      res.status(200).type(mine.type).set('Cache-Control', 'public, max-age=3600').send(mine.body);
      return;
    }
    const file = files.get(name);
    if (!file) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    res.type(file.type).sendFile(file.path, { maxAge: '1d', dotfiles: 'deny' }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });

  app.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
    if (!wantsPage(req)) return next();
    res
      .status(200)
      .type('html')
      .set({
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
        Vary: 'Accept',
      })
      .send(page);
  });
}
