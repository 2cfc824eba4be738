/**
 * The proxy's "client went away" signal (docs/edge-defaults.md: the upstream call made for a client that left is
 * aborted). An AbortController per request costs its signal, an EventTarget and, once aborted, a DOMException; this
 * is one 'close' listener on the response and a list of the current try's listeners.
 */
import type { ServerResponse } from 'node:http';
import type { CallSignal } from '../clients/upstream-types';

/** Fires when the response closes before it finished, i.e. the client's connection went away. */
export class ClientGone implements CallSignal {
  aborted = false;
  private listeners: Array<() => void> = [];

  constructor(res: ServerResponse) {
    if (res.destroyed && !res.writableFinished) {
      this.aborted = true;
      return;
    }
    res.once('close', () => {
      if (res.writableFinished) return;
      this.aborted = true;
      for (const listener of this.listeners.splice(0)) listener();
    });
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }
}
