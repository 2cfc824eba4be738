/**
 * Raw HTTP/1.1 over a plain socket, for requests no well-behaved client will send (control bytes in the request line,
 * oversized header blocks, headers trickled byte by byte): writes bytes, reads the answer until the server closes.
 */
import { connect } from 'node:net';

/** What came back on one raw connection. */
export interface RawAnswer {
  /** The status of the first response line; undefined when the server closed without one. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** ms from connect to the server closing the connection (or to the time limit). */
  closedAfterMs: number;
  /** True when the time limit passed before the server closed. */
  timedOut: boolean;
}

/** Parses the first response of `text` (status line, headers, body). */
function parse(text: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: m ? Number(m[1]) : undefined, headers, body: end >= 0 ? text.slice(end + 4) : '' };
}

/**
 * Connects to `port`, writes `chunks` (a string or Buffer each; `{ waitMs }` pauses between them), and resolves once
 * the server closes the connection or `limitMs` passes. Sends `Connection: close` only if the caller wrote it.
 */
export function rawRequest(port: number, chunks: Array<string | Buffer | { waitMs: number }>, limitMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(received).toString('latin1')), closedAfterMs: Date.now() - started, timedOut });
    };
    const timer = setTimeout(() => finish(true), limitMs);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (settled || socket.destroyed) return;
        if (typeof chunk === 'object' && !Buffer.isBuffer(chunk)) await new Promise((r) => setTimeout(r, chunk.waitMs));
        else socket.write(chunk);
      }
    });
  });
}
