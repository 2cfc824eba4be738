/** mobile-bff's code handlers by the names routes.yaml gives them. */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import type { Backends } from '../clients';
import { cancelOrder } from './cancel-order';
import { getOrderDetails } from './get-order-details';
import { listOrders } from './list-orders';
import { listRestaurants } from './list-restaurants';
import { placeOrder } from './place-order';

/** Every handler routes.yaml names, over one set of backend clients. */
export function mobileHandlers(backends: Backends): Record<string, Middleware<EdgeState>> {
  return {
    getOrderDetails: getOrderDetails(backends),
    listOrders: listOrders(backends),
    placeOrder: placeOrder(backends),
    cancelOrder: cancelOrder(backends),
    listRestaurants: listRestaurants(backends),
  };
}
