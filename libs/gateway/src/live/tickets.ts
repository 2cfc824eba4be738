/**
 * Live tickets: short-lived (30 s), single-use tokens a browser obtains over authenticated HTTPS
 * (`POST /orders/:orderId/live-ticket`) and passes as `?ticket=` on the WebSocket upgrade, because browsers cannot
 * set headers on one. A query string may reach access logs, which is acceptable for a ticket and not for a JWT:
 * it dies on first use or after 30 s, and only opens the live view of the one order it was issued for.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '@portico/edge';
import type { Redis, Cluster } from 'ioredis';

/** What a ticket stands for. */
export interface LiveTicket {
  orderId: string;
  principal: Principal;
}

/** Issues and redeems tickets; a redeemed or expired ticket is gone. */
export interface TicketStore {
  /** Stores the ticket for `ttlMs` and returns its opaque value. */
  issue(ticket: LiveTicket, ttlMs: number): Promise<string>;
  /** Returns and deletes the ticket atomically; undefined when unknown, used or expired. */
  redeem(value: string): Promise<LiveTicket | undefined>;
}

const TICKET_PATTERN = /^[A-Za-z0-9_-]{32}$/;

function newTicketValue(): string {
  return randomBytes(24).toString('base64url');
}

/** In-process tickets: enough for one replica; with several, the ticket must come back to the one that issued it. */
export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { ticket: LiveTicket; expiresAt: number }>();

  constructor(
    private readonly maxTickets = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(ticket: LiveTicket, ttlMs: number): Promise<string> {
    const now = this.now();
    // Expired tickets are dropped in insertion (≈ expiry) order, so the map never outgrows the tickets still valid.
    for (const [value, entry] of this.tickets) {
      if (entry.expiresAt > now && this.tickets.size < this.maxTickets) break;
      this.tickets.delete(value);
    }
    const value = newTicketValue();
    this.tickets.set(value, { ticket, expiresAt: now + ttlMs });
    return value;
  }

  async redeem(value: string): Promise<LiveTicket | undefined> {
    const entry = this.tickets.get(value);
    if (!entry) return undefined;
    this.tickets.delete(value);
    return entry.expiresAt > this.now() ? entry.ticket : undefined;
  }
}

/** Tickets in Redis (`SET … PX`, `GETDEL`), so any replica can redeem what another issued. Needs Redis ≥ 6.2. */
export class RedisTicketStore implements TicketStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keyPrefix: string,
  ) {}

  async issue(ticket: LiveTicket, ttlMs: number): Promise<string> {
    const value = newTicketValue();
    await this.redis.set(this.key(value), JSON.stringify(ticket), 'PX', ttlMs);
    return value;
  }

  async redeem(value: string): Promise<LiveTicket | undefined> {
    if (!TICKET_PATTERN.test(value)) return undefined;
    const stored = await this.redis.getdel(this.key(value));
    return stored ? (JSON.parse(stored) as LiveTicket) : undefined;
  }

  private key(value: string): string {
    return `${this.keyPrefix}live-ticket:${value}`;
  }
}
