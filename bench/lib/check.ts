/** The pre-load check (BENCHMARKING.md): every service must answer correctly once before it is loaded. */
import { request } from 'undici';

/** GETs `url` (with `headers`, e.g. a Bearer token) and throws unless it answers 200 with a JSON body that passes `verify`. */
export async function checkAnswers(name: string, url: string, verify: (body: Buffer) => string | undefined, headers: Record<string, string> = {}): Promise<void> {
  const res = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`${name}: expected 200 from ${url}, got ${res.statusCode}`);
  if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`${name}: expected JSON from ${url}`);
  const problem = verify(body);
  if (problem) throw new Error(`${name}: ${problem}`);
}
