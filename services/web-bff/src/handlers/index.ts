/** web-bff's code handlers by the names routes.yaml gives them. */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import type { Backends } from '../clients';
import { cancelOrder } from './cancel-order';
import { listOrders } from './list-orders';
import { placeOrder } from './place-order';

/** Every handler routes.yaml names, over one set of backend clients. */
export function webHandlers(backends: Backends): Record<string, Middleware<EdgeState>> {
  return { listOrders: listOrders(backends), placeOrder: placeOrder(backends), cancelOrder: cancelOrder(backends) };
}
