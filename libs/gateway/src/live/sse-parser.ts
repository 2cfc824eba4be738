/** Incremental parser for a `text/event-stream` body (WHATWG HTML §9.2.6): text in, one callback per complete message. */

/** One parsed message: `event` defaults to `message`; `id` is the message's own id line, if it had one. */
export interface ParsedSse {
  id?: string;
  event: string;
  data: string;
}

/** Feeds chunks of decoded text; calls `onMessage` for each message ended by a blank line. Comments are skipped. */
export class SseParser {
  private rest = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  constructor(
    private readonly onMessage: (message: ParsedSse) => void,
    /** A line longer than this means the peer is not speaking SSE; push() throws (default 1 MiB). */
    private readonly maxLineChars = 1_048_576,
  ) {}

  /** Parses what the chunk completes and keeps the unfinished tail for the next one. */
  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split(/\r\n|\r|\n/);
    // A chunk may end in "\r" whose "\n" is still on the way; "\r" alone also ends a line, so only a lone tail waits.
    this.rest = lines.pop() ?? '';
    if (this.rest.length > this.maxLineChars) throw new Error('event stream line too long');
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.id = undefined;
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
