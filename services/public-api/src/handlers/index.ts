/** The public API's code handlers by the names routes.yaml gives them; each gets the binding to createBff's clients and router. */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import type { ServiceBinding } from '../clients';
import { cancelOrder } from './cancel-order';
import { createOrder } from './create-order';
import { getOpenApi } from './get-openapi';
import { getOrderDetails } from './get-order-details';
import { listOrders } from './list-orders';

/** Every handler routes.yaml names, built once at start-up. */
export function publicApiHandlers(binding: ServiceBinding): Record<string, Middleware<EdgeState>> {
  return {
    getOpenApi: getOpenApi(binding),
    listOrders: listOrders(binding),
    createOrder: createOrder(binding),
    getOrderDetails: getOrderDetails(binding),
    cancelOrder: cancelOrder(binding),
  };
}
