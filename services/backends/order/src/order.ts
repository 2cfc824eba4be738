/** The order model and its rules: which states follow which, and when an order may still be cancelled. */

/** Order states in life-cycle order; CANCELLED can follow any state before PICKED_UP. */
export const orderStates = ['APPROVED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;

/** One of the order states. */
export type OrderState = (typeof orderStates)[number];

/** A line of an order, priced when the order was placed (integer cents). */
export interface OrderLine {
  menuItemId: string;
  name: string;
  quantity: number;
  price: number;
}

/** An order as the order service keeps it. */
export interface Order {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  lineItems: OrderLine[];
  deliveryAddress: { street: string; city: string; zip: string };
  total: number;
  currency: string;
  state: OrderState;
  createdAt: string;
  updatedAt: string;
  history: Array<{ state: OrderState; at: string }>;
}

const NEXT: Partial<Record<OrderState, OrderState>> = {
  APPROVED: 'PREPARING',
  PREPARING: 'READY_FOR_PICKUP',
  READY_FOR_PICKUP: 'PICKED_UP',
  PICKED_UP: 'DELIVERED',
};

/** The state that follows `state` in the normal flow, or undefined at the end. */
export function nextState(state: OrderState): OrderState | undefined {
  return NEXT[state];
}

/** Cancelling is possible until the courier has picked the order up. */
export function canCancel(state: OrderState): boolean {
  return state === 'APPROVED' || state === 'PREPARING' || state === 'READY_FOR_PICKUP';
}
