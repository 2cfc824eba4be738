/** Test helpers for answers checked as they cross the wire: one raw request, and a list-sized JSON body. */
import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** ~6 KB of JSON that compresses well, as list answers do. */
export const LIST_JSON = JSON.stringify({
  items: Array.from({ length: 60 }, (_, i) => ({ id: `r-${i}`, name: `Restaurant number ${i}`, cuisine: 'indian', open: true })),
});

/** An answer as it arrived. */
export interface WireAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as the client reads it after undoing Content-Encoding. */
  decoded(): string;
}

/** One request on a new connection, on node:http rather than fetch, which undoes Content-Encoding itself. */
export function wireRequest(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          decoded: () => (encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
