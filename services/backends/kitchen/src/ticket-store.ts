/** The kitchen's tickets, one per order, in memory: the one store the REST routes and the gRPC service both read. */
import { EdgeError } from '@portico/edge';

/** Ticket states, in the order a kitchen goes through them. */
export const ticketStates = ['ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED'] as const;

/** A ticket state. */
export type TicketState = (typeof ticketStates)[number];

/** A kitchen ticket: what the restaurant must cook for one order. */
export interface Ticket {
  ticketId: string;
  orderId: string;
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; name: string; quantity: number }>;
  state: TicketState;
  readyBy: string;
  updatedAt: string;
}

/** What the order service sends to open a ticket. */
export type NewTicket = Pick<Ticket, 'orderId' | 'restaurantId' | 'lineItems'>;

/** Tickets by order id; `prepMs` is how long a ticket is expected to take. */
export class TicketStore {
  private readonly tickets = new Map<string, Ticket>();
  private readonly now: () => Date;

  constructor(private readonly options: { prepMs: number; now?: () => Date }) {
    this.now = options.now ?? (() => new Date());
  }

  /** Opens the ticket of an order; CONFLICT when it already has one. */
  create(input: NewTicket): Ticket {
    if (this.tickets.has(input.orderId)) throw new EdgeError('CONFLICT', { detail: `order ${input.orderId} already has a ticket` });
    const at = this.now();
    const ticket: Ticket = {
      ticketId: `t-${input.orderId}`,
      ...input,
      state: 'ACCEPTED',
      readyBy: new Date(at.getTime() + this.options.prepMs).toISOString(),
      updatedAt: at.toISOString(),
    };
    this.tickets.set(input.orderId, ticket);
    return ticket;
  }

  /** The ticket of an order, if it has one. */
  get(orderId: string): Ticket | undefined {
    return this.tickets.get(orderId);
  }

  /** The ticket of an order; NOT_FOUND when it has none. */
  require(orderId: string): Ticket {
    const ticket = this.tickets.get(orderId);
    if (!ticket) throw new EdgeError('NOT_FOUND', { detail: `no ticket for order ${orderId}` });
    return ticket;
  }

  /** Moves a ticket to `state`; CONFLICT once it is cancelled or picked up. */
  changeState(orderId: string, state: TicketState): Ticket {
    const ticket = this.require(orderId);
    if (ticket.state === 'CANCELLED' || ticket.state === 'PICKED_UP') {
      throw new EdgeError('CONFLICT', { detail: `ticket is ${ticket.state} and can no longer change` });
    }
    ticket.state = state;
    ticket.updatedAt = this.now().toISOString();
    return ticket;
  }
}
