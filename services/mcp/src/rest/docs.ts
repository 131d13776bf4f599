// /docs: Swagger UI (npm swagger-ui-dist), served from our own node_modules so it works with no internet. The
// shell holds no data: the page loads /openapi.json with the bearer token the user gives it and sends that token
// on every "Try it out" call, so it can sit in front of the auth middleware.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
// A Map, not an object literal: a lookup by a client-chosen name must never reach Object.prototype.
const ASSETS = new Map<string, string>(
  Object.entries({
    'swagger-ui.css': 'swagger-ui.css',
    'swagger-ui-bundle.js': 'swagger-ui-bundle.js',
    'favicon.png': 'favicon-32x32.png',
  }),
);

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>mcp-stack API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"><p style="font-family: sans-serif; margin: 2em">Loading the API description...</p></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// Runs in the browser. The token lives in sessionStorage (gone with the tab), never in the URL sent to the server:
// "/docs#token=..." is read from the fragment and removed from the address bar at once.
const INIT = `'use strict';
(async () => {
  const KEY = 'mcp-stack.bearer-token';
  const root = document.getElementById('swagger-ui');
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem(KEY, fragment.get('token'));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = () => sessionStorage.getItem(KEY);
  const withToken = (headers) => (token() ? { ...headers, Authorization: 'Bearer ' + token() } : headers);

  let response = await fetch('/openapi.json', { headers: withToken({ Accept: 'application/json' }) });
  while (response.status === 401) {
    const given = window.prompt('This server needs its bearer token (MCP_AUTH_TOKEN):');
    if (!given) {
      root.textContent = 'The API description needs the bearer token (MCP_AUTH_TOKEN). Reload the page to enter it.';
      return;
    }
    sessionStorage.setItem(KEY, given.trim());
    response = await fetch('/openapi.json', { headers: withToken({ Accept: 'application/json' }) });
  }
  if (!response.ok) {
    root.textContent = 'Could not load /openapi.json: HTTP ' + response.status;
    return;
  }
  const ui = SwaggerUIBundle({
    spec: await response.json(),
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayRequestDuration: true,
    tryItOutEnabled: true,
    validatorUrl: null,
    requestInterceptor: (request) => {
      if (token() && !request.headers.Authorization) request.headers.Authorization = 'Bearer ' + token();
      return request;
    },
  });
  if (token()) ui.preauthorizeApiKey('bearerAuth', token());
})();
`;

export function createDocsRouter(): Router {
  const router = Router();
  router.get('/docs', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(INIT);
  });
  router.get('/docs/assets/:file', (req, res, next) => {
    const file = ASSETS.get(req.params.file);
    if (!file) return next();
    res.sendFile(join(SWAGGER_DIR, file), { maxAge: '1h' });
  });
  return router;
}
