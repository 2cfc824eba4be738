/** One row of the phone's order list (and the answer to placing or cancelling an order): no lines, no addresses, no history. */
import type { Order } from '../clients';
import { money, type Money } from './money';
import { itemCount } from './order-summary';

/** A compact order row. */
export interface OrderListItem {
  orderId: string;
  state: string;
  /** Present in lists (null when the restaurant list could not be read); absent in command answers. */
  restaurantName?: string | null;
  itemCount: number;
  total: Money;
  placedAt: string | null;
}

/** Maps an order to a list row; pass `restaurantName` (or null) to include the name. */
export function orderListItem(order: Order, restaurantName?: string | null): OrderListItem {
  const item: OrderListItem = { orderId: order.orderId, state: order.state, itemCount: itemCount(order), total: money(order.total, order.currency), placedAt: order.createdAt ?? null };
  if (restaurantName !== undefined) item.restaurantName = restaurantName;
  return item;
}
