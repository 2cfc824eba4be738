/** Kitchen service HTTP API: the ticket of each order, created and advanced by the order service as the restaurant works. */
import Router from '@koa/router';
import { readValidBody, type EdgeState } from '@portico/edge';
import { z } from 'zod';
import { TicketStore, ticketStates } from './ticket-store';

export { ticketStates, type Ticket } from './ticket-store';

const CreateTicket = z.object({
  orderId: z.string().min(1).max(64),
  restaurantId: z.string().min(1).max(64),
  lineItems: z.array(z.object({ menuItemId: z.string(), name: z.string(), quantity: z.number().int().positive() }).strict()).min(1).max(50),
}).strict();

const ChangeState = z.object({ state: z.enum(ticketStates) }).strict();

/**
 * Builds the kitchen service's routes over `store` (one is created when none is given); `prepMs` is how long a ticket is
 * expected to take. The order service creates and advances tickets here; BFFs read them over gRPC (grpc-server.ts).
 */
export function kitchenRoutes(options: { prepMs: number; now?: () => Date; store?: TicketStore }): Router<EdgeState> {
  const store = options.store ?? new TicketStore(options);
  const router = new Router<EdgeState>();

  router.post('/tickets', async (ctx) => {
    const input = await readValidBody(ctx, CreateTicket);
    ctx.status = 201;
    ctx.body = store.create(input);
  });

  router.get('/tickets/:orderId', (ctx) => {
    ctx.body = store.require(ctx.params.orderId ?? '');
  });

  router.put('/tickets/:orderId/state', async (ctx) => {
    const ticket = store.require(ctx.params.orderId ?? '');
    const { state } = await readValidBody(ctx, ChangeState);
    ctx.body = store.changeState(ticket.orderId, state);
  });

  return router;
}
