import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * Swagger UI for the OpenAPI document, served from the swagger-ui-dist package (no CDN), under
 * the path it is mounted on (`/docs`). Its own page and start script replace the package's,
 * which point at a demo API; the script is a file, not inline, so helmet's CSP allows it.
 */
export function swaggerUi(documentUrl: string): RequestHandler {
  const assets = express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), {
    index: false,
  });
  const page = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>API documentation</title>
    <link rel="stylesheet" type="text/css" href="swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="start.js" charset="UTF-8"></script>
  </body>
</html>
`;
  const start = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(documentUrl)}, dom_id: '#swagger-ui', deepLinking: true });\n`;
  return (req, res, next) => {
    // Relative asset paths need the page at /docs/, not /docs.
    if (req.path === '/' && !req.originalUrl.split('?')[0].endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/`);
    } else if (req.path === '/') {
      res.type('html').send(page);
    } else if (req.path === '/start.js') {
      res.type('js').send(start);
    } else {
      assets(req, res, next);
    }
  };
}
