/**
 * The "client went away" signal of a proxied or composed request (docs/edge-defaults.md: the upstream calls made for a
 * client that left are aborted). An AbortController per request costs its signal, an EventTarget whose listeners
 * parse options on every add and, once aborted, a DOMException; this is one 'close' listener on the response and a
 * list of the current calls' listeners.
 */
import type { ServerResponse } from 'node:http';
import type { CallSignal } from './upstream-types';

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
      if (!res.writableFinished) this.abort();
    });
  }

  /** Fires now, as if the client had gone (a composition whose required part failed stops its other branches). */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of this.listeners.splice(0)) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }
}
