/**
 * What the browser runs: the page and Craton's small start-up script. Kept as strings here (not files under
 * a public/ folder) so `tsc` carries them into dist/ without a copy step. React, ReactDOM and GraphiQL are
 * third-party files served from node_modules (see index.ts); nothing is loaded from anywhere else.
 */

/** Header editor contents until the user types a key. */
export const DEFAULT_HEADERS = '{\n  "Authorization": "Bearer <api key>"\n}';

export const DEFAULT_QUERY = `# Craton GraphiQL
#
# 1. In Headers (below), replace <api key> with
#    your key. Root users may also send
#    "X-Craton-Project": "<project id>".
# 2. Run with Ctrl-Enter. Subscriptions run over
#    graphql-ws on this same URL.

{
  me {
    user { name }
    role
    project { id name }
  }
}
`;

/**
 * Start-up script. The fetcher sends the header editor's headers with HTTP requests, and for subscriptions
 * opens graphql-ws with `connectionParams: { authorization, project }` taken from the same headers (the
 * gateway reads credentials from connectionParams, not from HTTP headers, on WebSocket). When the
 * Authorization or X-Craton-Project header changes, the schema is fetched again with the new key.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var h = React.createElement;
  var endpoint = window.location.origin + window.location.pathname.replace(/\/+$/, '');
  var wsEndpoint = endpoint.replace(/^http/, 'ws');
  var config = JSON.parse(document.getElementById('craton-graphiql-config').textContent);

  function normalize(headers) {
    var out = {};
    if (headers && typeof headers === 'object') {
      Object.keys(headers).forEach(function (k) {
        var v = headers[k];
        if (v !== null && v !== undefined && v !== '') out[k.toLowerCase()] = String(v);
      });
    }
    return out;
  }

  function connectionParams(headers) {
    var p = {};
    if (headers.authorization) p.authorization = headers.authorization;
    if (headers['x-craton-project']) p.project = headers['x-craton-project'];
    return p;
  }

  function fetcher(params, opts) {
    var headers = normalize(opts && opts.headers);
    if (headers.authorization && headers.authorization.indexOf('<api key>') !== -1) {
      return Promise.resolve({
        errors: [{ message: 'No API key yet: in the Headers tab below the query, replace <api key> with your Craton API key.', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    var inner = GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: wsEndpoint,
      headers: headers,
      wsConnectionParams: connectionParams(headers),
      enableIncrementalDelivery: false,
    });
    // Headers are in the options above (lower-cased); passing them again would duplicate them. The document
    // is parsed here because GraphiQL's own documentAST may lag behind the editor, and it decides whether
    // the operation goes over graphql-ws (subscriptions) or HTTP.
    return inner(params, Object.assign({}, opts, { headers: {}, documentAST: parse(params.query) || (opts && opts.documentAST) }));
  }

  function parse(query) {
    try {
      return GraphiQL.GraphQL && query ? GraphiQL.GraphQL.parse(query) : undefined;
    } catch (e) {
      return undefined; // the server reports the syntax error
    }
  }

  function credentialsOf(text) {
    try {
      return JSON.stringify(connectionParams(normalize(JSON.parse(text || '{}'))));
    } catch (e) {
      return null; // still being typed
    }
  }

  function App() {
    var state = React.useState(0);
    var generation = state[0];
    var setGeneration = state[1];
    var last = React.useRef(undefined);
    var timer = React.useRef(undefined);
    // A new fetcher makes GraphiQL introspect again, now with the new credentials.
    var current = React.useMemo(function () {
      return function (params, opts) { return fetcher(params, opts); };
    }, [generation]);
    var onEditHeaders = React.useCallback(function (text) {
      var credentials = credentialsOf(text);
      if (credentials === null || credentials === last.current) return;
      var first = last.current === undefined;
      last.current = credentials;
      if (first) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(function () { setGeneration(function (g) { return g + 1; }); }, 400);
    }, []);
    return h(
      GraphiQL,
      {
        fetcher: current,
        isHeadersEditorEnabled: true,
        defaultHeaders: config.defaultHeaders,
        defaultQuery: config.defaultQuery,
        defaultEditorToolsVisibility: 'headers',
        shouldPersistHeaders: false,
        onEditHeaders: onEditHeaders,
      },
      h(GraphiQL.Logo, null, 'Craton'),
    );
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(h(App));
})();
`;

export const CLIENT_CSS = `html, body { height: 100%; margin: 0; overflow: hidden; }
#graphiql { height: 100vh; }
.craton-loading { font-family: system-ui, sans-serif; padding: 2rem; color: #555; }
`;

/** The page: every URL it loads is on this gateway (`assetBase`). */
export function renderPage(assets: { css: string[]; js: string[] }): string {
  const config = JSON.stringify({ defaultHeaders: DEFAULT_HEADERS, defaultQuery: DEFAULT_QUERY }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Craton · GraphiQL</title>
<link rel="icon" href="data:,">
${assets.css.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
</head>
<body>
<div id="graphiql"><div class="craton-loading">Loading GraphiQL…</div></div>
<noscript>GraphiQL needs JavaScript. The API itself is POST /graphql.</noscript>
<script type="application/json" id="craton-graphiql-config">${config}</script>
${assets.js.map((src) => `<script src="${src}"></script>`).join('\n')}
</body>
</html>
`;
}
