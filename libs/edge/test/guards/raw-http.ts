/** Sends hand-written HTTP/1.x bytes to a loopback server and parses the answer: for requests no HTTP client will send. */
import net from 'node:net';

/** A parsed response: status, lower-cased headers and body text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection within the grace period after answering. */
  closed: boolean;
}

function parse(received: Buffer): Omit<RawResponse, 'closed'> & { complete: boolean } {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd === -1) return { status: 0, headers: {}, body: '', complete: false };
  const [statusLine = '', ...lines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = received.subarray(headEnd + 4);
  const length = Number(headers['content-length'] ?? 0);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8'), complete: body.length >= length };
}

/**
 * Writes `request` and resolves once a complete response arrived and either the server closed the connection
 * or `graceMs` passed without it closing. Rejects when no complete response arrives within `timeoutMs`.
 */
export function rawRequest(port: number, request: string | Buffer, options: { graceMs?: number; timeoutMs?: number } = {}): Promise<RawResponse> {
  const graceMs = options.graceMs ?? 200;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let graceTimer: NodeJS.Timeout | undefined;
    let done = false;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${options.timeoutMs ?? 3000} ms; got ${JSON.stringify(received.toString('latin1').slice(0, 300))}`));
    }, options.timeoutMs ?? 3000);
    const settle = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      const { complete: _complete, ...response } = parse(received);
      socket.destroy();
      resolve({ ...response, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!graceTimer && parse(received).complete) graceTimer = setTimeout(() => settle(false), graceMs);
    });
    // A reset after the answer (unread request bytes) still counts as the server closing the connection.
    socket.on('error', () => {});
    socket.on('close', () => {
      if (done) return;
      if (parse(received).complete) settle(true);
      else {
        done = true;
        clearTimeout(deadline);
        reject(new Error(`connection closed without a complete response; got ${JSON.stringify(received.toString('latin1').slice(0, 300))}`));
      }
    });
    socket.write(request);
  });
}
