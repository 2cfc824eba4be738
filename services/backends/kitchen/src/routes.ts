/** Kitchen service HTTP API: the ticket of each order, advanced by the order service as the restaurant works. */
import Router from '@koa/router';
import { EdgeError, readValidBody, type EdgeState } from '@portico/edge';
import { z } from 'zod';

/** Ticket states, in the order a kitchen goes through them. */
export const ticketStates = ['ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED'] as const;

/** A kitchen ticket: what the restaurant must cook for one order. */
export interface Ticket {
  ticketId: string;
  orderId: string;
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; name: string; quantity: number }>;
  state: (typeof ticketStates)[number];
  readyBy: string;
  updatedAt: string;
}

const CreateTicket = z.object({
  orderId: z.string().min(1).max(64),
  restaurantId: z.string().min(1).max(64),
  lineItems: z.array(z.object({ menuItemId: z.string(), name: z.string(), quantity: z.number().int().positive() }).strict()).min(1).max(50),
}).strict();

const ChangeState = z.object({ state: z.enum(ticketStates) }).strict();

/** Builds the kitchen service's routes; `prepMs` is how long a ticket is expected to take. */
export function kitchenRoutes(options: { prepMs: number; now?: () => Date }): Router<EdgeState> {
  const now = options.now ?? (() => new Date());
  const tickets = new Map<string, Ticket>();
  const router = new Router<EdgeState>();

  router.post('/tickets', async (ctx) => {
    const input = await readValidBody(ctx, CreateTicket);
    if (tickets.has(input.orderId)) throw new EdgeError('CONFLICT', { detail: `order ${input.orderId} already has a ticket` });
    const at = now();
    const ticket: Ticket = {
      ticketId: `t-${input.orderId}`,
      ...input,
      state: 'ACCEPTED',
      readyBy: new Date(at.getTime() + options.prepMs).toISOString(),
      updatedAt: at.toISOString(),
    };
    tickets.set(input.orderId, ticket);
    ctx.status = 201;
    ctx.body = ticket;
  });

  router.get('/tickets/:orderId', (ctx) => {
    ctx.body = find(tickets, ctx.params.orderId);
  });

  router.put('/tickets/:orderId/state', async (ctx) => {
    const ticket = find(tickets, ctx.params.orderId);
    const { state } = await readValidBody(ctx, ChangeState);
    if (ticket.state === 'CANCELLED' || ticket.state === 'PICKED_UP') {
      throw new EdgeError('CONFLICT', { detail: `ticket is ${ticket.state} and can no longer change` });
    }
    ticket.state = state;
    ticket.updatedAt = now().toISOString();
    ctx.body = ticket;
  });

  return router;
}

function find(tickets: Map<string, Ticket>, orderId: string | undefined): Ticket {
  const ticket = tickets.get(orderId ?? '');
  if (!ticket) throw new EdgeError('NOT_FOUND', { detail: `no ticket for order ${orderId}` });
  return ticket;
}
