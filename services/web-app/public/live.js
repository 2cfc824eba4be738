/**
 * Follows one order live through the web BFF's WebSocket (GET /orders/:orderId/live). The token travels as the
 * second Sec-WebSocket-Protocol value (`bearer`, <token>), never in the URL; after a drop the socket reconnects with
 * ?lastEventId= so the BFF replays exactly what was missed (or sends `resync` when it cannot prove that).
 */

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
const MAX_FAILED_ATTEMPTS = 8;
// RFC 6455 §7.4.1: 1008 is what the BFF closes with when the token expires; 1000 is a normal close.
const CLOSE_POLICY = 1008;

/**
 * Opens the live connection. `onEvent(event)` gets each parsed message and returns true once the order is final;
 * `onOpen(resumed)` hears of each open (resumed: after ?lastEventId=); `onStatus(text, isError)` hears about the
 * connection. Returns { stop(status) }.
 */
export function followOrder({ bff, token, orderId, onEvent, onOpen, onStatus }) {
  const base = bff.replace(/^http/, 'ws');
  let socket;
  let lastEventId;
  let retryMs = FIRST_RETRY_MS;
  let failed = 0;
  let timer;
  let stopped = false;

  function connect() {
    const url = new URL(`${base}/orders/${encodeURIComponent(orderId)}/live`);
    if (lastEventId) url.searchParams.set('lastEventId', lastEventId);
    onStatus(lastEventId ? 'Live updates: reconnecting…' : 'Live updates: connecting…');
    let opened = false;
    socket = new WebSocket(url, ['bearer', token]);
    socket.addEventListener('open', () => {
      opened = true;
      failed = 0;
      retryMs = FIRST_RETRY_MS;
      onStatus('Live updates: connected');
      onOpen(Boolean(lastEventId));
    });
    socket.addEventListener('message', (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof event.id === 'string') lastEventId = event.id;
      if (onEvent(event)) stop('Live updates: the order is complete');
    });
    socket.addEventListener('close', (closed) => {
      if (stopped) return;
      if (closed.code === CLOSE_POLICY) {
        stop('Live updates stopped: the token expired. Sign in again with a fresh token.', true);
        return;
      }
      if (!opened && ++failed >= MAX_FAILED_ATTEMPTS) {
        stop('Live updates are unavailable: the web BFF refused the connection. Reload the page to try again.', true);
        return;
      }
      onStatus(`Live updates: disconnected (code ${closed.code}); retrying in ${(retryMs / 1000).toFixed(1)} s`);
      timer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    });
  }

  function stop(status, isError = false) {
    stopped = true;
    clearTimeout(timer);
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, 'done');
    if (status) onStatus(status, isError);
  }

  connect();
  return { stop: (status) => stop(status) };
}
