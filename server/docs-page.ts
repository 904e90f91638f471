import express, { type Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>AI primitives API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
});`;

/** An interactive reference rendered from /openapi.json, served from the installed package (works offline). */
export function createDocsRouter(): Router {
  const docs = express.Router();
  docs.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  docs.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(init);
  });
  docs.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h' }));
  return docs;
}
