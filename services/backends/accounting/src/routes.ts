/** Accounting service HTTP API: a bill per order, authorized at creation and voided when the order is cancelled. */
import Router from '@koa/router';
import { EdgeError, readValidBody, type EdgeState } from '@portico/edge';
import { z } from 'zod';

/** The bill of one order; amounts are integer cents. */
export interface Bill {
  billId: string;
  orderId: string;
  consumerId: string;
  amount: number;
  currency: string;
  state: 'AUTHORIZED' | 'VOIDED';
  createdAt: string;
}

const CreateBill = z.object({
  orderId: z.string().min(1).max(64),
  consumerId: z.string().min(1).max(64),
  amount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like "USD"'),
}).strict();

/** Builds the accounting service's routes over an in-memory ledger. */
export function accountingRoutes(now: () => Date = () => new Date()): Router<EdgeState> {
  const bills = new Map<string, Bill>();
  const router = new Router<EdgeState>();

  router.post('/bills', async (ctx) => {
    const input = await readValidBody(ctx, CreateBill);
    if (bills.has(input.orderId)) throw new EdgeError('CONFLICT', { detail: `order ${input.orderId} already has a bill` });
    const bill: Bill = { billId: `b-${input.orderId}`, ...input, state: 'AUTHORIZED', createdAt: now().toISOString() };
    bills.set(input.orderId, bill);
    ctx.status = 201;
    ctx.body = bill;
  });

  router.get('/bills/:orderId', (ctx) => {
    ctx.body = find(bills, ctx.params.orderId);
  });

  router.post('/bills/:orderId/void', (ctx) => {
    const bill = find(bills, ctx.params.orderId);
    bill.state = 'VOIDED';
    ctx.body = bill;
  });

  return router;
}

function find(bills: Map<string, Bill>, orderId: string | undefined): Bill {
  const bill = bills.get(orderId ?? '');
  if (!bill) throw new EdgeError('NOT_FOUND', { detail: `no bill for order ${orderId}` });
  return bill;
}
