/**
 * Resolves a request path to a file under the app's public/ folder, or says why not: dot segments, encoded slashes,
 * hidden files and symlinks that lead outside are refused, and directories are never listed. Sending is web-app.ts's job.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Content types by file extension; anything else is sent as application/octet-stream. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
});

/** A file to send. */
export interface PublicFile {
  path: string;
  size: number;
  mtimeMs: number;
  contentType: string;
}

/** Why a path names no file: 400 for a path no browser sends (traversal, encoded separators), 404 otherwise. */
export type Refusal = { status: 400 | 404; detail: string };

// docs/edge-defaults.md "Paths and headers": encoded slashes, backslashes and NUL are refused, not interpreted.
const FORBIDDEN_RAW = /%2f|%5c|%00|\\/i;

/** The file `rawPath` (the request target's path, still percent-encoded) names under `root`, or a refusal. */
export async function resolvePublicFile(root: string, rawPath: string): Promise<PublicFile | Refusal> {
  if (!rawPath.startsWith('/') || FORBIDDEN_RAW.test(rawPath)) return { status: 400, detail: 'the path contains an encoded separator, a backslash or NUL' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, detail: 'the path is not valid percent-encoding' };
  }
  const segments = decoded.split('/').slice(1);
  // Decoded `..` (also from %2e%2e) never walks up: it is refused rather than resolved.
  if (segments.some((s) => s === '..' || s === '.')) return { status: 400, detail: 'the path contains dot segments' };
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, detail: 'no such file' };
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const base = resolve(root);
  const candidate = join(base, relative);
  if (!candidate.startsWith(base + sep)) return { status: 400, detail: 'the path leaves the public folder' };
  try {
    // A symlink inside public/ must not lead outside it either.
    const real = await realpath(candidate);
    const realBase = await realpath(base);
    if (!real.startsWith(realBase + sep)) return { status: 404, detail: 'no such file' };
    const info = await stat(real);
    if (!info.isFile()) return { status: 404, detail: 'no such file' };
    return { path: real, size: info.size, mtimeMs: info.mtimeMs, contentType: CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return { status: 404, detail: 'no such file' };
  }
}

/** A weak validator from size and modification time (RFC 9110 §8.8.3), so a reload revalidates instead of refetching. */
export function etagOf(file: PublicFile): string {
  return `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}
