import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response, type Router } from 'express';

const dashboardDir = fileURLToPath(new URL('../dashboard/', import.meta.url));

/**
 * Everything comes from this origin: the policy makes a stray CDN reference fail loudly. Audio
 * and images answered by the API are shown from data: and blob: URLs.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * The dashboard: plain ES modules and one stylesheet served as they are in the repository, so
 * `npm start` serves it with no build step. Pages are chosen by the URL hash, hence one HTML route.
 */
export function createDashboardRouter(): Router {
  const dashboard = express.Router();
  dashboard.get('/', (_req, res) => res.redirect(302, '/dashboard'));
  dashboard.get(['/dashboard', '/dashboard/'], (_req, res) => {
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dashboardDir, 'index.html'));
  });
  dashboard.use(
    '/dashboard',
    express.static(dashboardDir, {
      index: false,
      redirect: false,
      // Revalidated each load: a changed module is never mixed with stale ones.
      cacheControl: true,
      maxAge: 0,
      setHeaders: secure,
    }),
  );
  return dashboard;
}
