/**
 * What routes.yaml cannot say about each /v1 operation: summary, description, query and header parameters, the
 * success answers and the failures only its handler produces. Security, quotas, the request body and the edge's own
 * failures (401/403/422/429/503) are derived from the route's policy by build-document.ts.
 */
import { ORDER_STATES } from '../views/order';
import type { JsonSchema } from './schemas';

/** A success answer: its schema (none for 304) and the headers it carries. */
export interface SuccessDoc {
  description: string;
  schema?: string;
  /** Header component names; `true` when always present. */
  headers?: Record<string, boolean>;
}

/** The hand-written part of one operation. */
export interface OperationDoc {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  /** Query and header parameters (path parameters come from the route path). */
  parameters?: JsonSchema[];
  /** Success answers by status. */
  success: Record<string, SuccessDoc>;
  /** Failures the handler or backend produces besides the edge's, by status, with when they happen. */
  failures?: Record<string, string>;
}

/** How often a client should poll an order, documented in the API description and on the operation. */
export const RECOMMENDED_POLL_SECONDS = 15;

/** Operation docs by route id (routes.yaml). */
export const operationDocs: Readonly<Record<string, OperationDoc>> = Object.freeze({
  'get-openapi': {
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document',
    description: 'Needs no API key. Limited per client address.',
    tags: ['meta'],
    success: { '200': { description: 'The OpenAPI document', schema: 'OpenApiDocument' } },
  },
  'list-restaurants': {
    operationId: 'listRestaurants',
    summary: 'List restaurants',
    description: 'The restaurant catalogue, optionally one cuisine. Cached for up to 30 s.',
    tags: ['restaurants'],
    parameters: [
      {
        name: 'cuisine',
        in: 'query',
        required: false,
        schema: { type: 'string', minLength: 1 },
        description: 'Only this cuisine (case-insensitive), e.g. "Indian"',
      },
    ],
    success: { '200': { description: 'The restaurants', schema: 'RestaurantList' } },
  },
  'get-restaurant': {
    operationId: 'getRestaurant',
    summary: 'One restaurant with its menu',
    description: 'Cached for up to 60 s. Use `menuItemId`s from the menu when placing an order.',
    tags: ['restaurants'],
    success: { '200': { description: 'The restaurant', schema: 'Restaurant' } },
    failures: { '404': 'No such restaurant' },
  },
  'list-orders': {
    operationId: 'listOrders',
    summary: "List the key owner's orders",
    description: 'Orders of the consumer the API key belongs to, newest first.',
    tags: ['orders'],
    parameters: [
      { name: 'state', in: 'query', required: false, schema: { type: 'string', enum: [...ORDER_STATES] }, description: 'Only orders in this state' },
    ],
    success: { '200': { description: 'The orders', schema: 'OrderList', headers: { 'Cache-Control': true } } },
    failures: { '400': 'Unknown `state`' },
  },
  'create-order': {
    operationId: 'createOrder',
    summary: 'Place an order',
    description:
      'Places an order for the consumer the API key belongs to (never a field of the body). A body that does not match ' +
      'the schema is answered 422 and nothing is created. Not idempotent: retry only after a 429 or 503, which guarantee nothing was created.',
    tags: ['orders'],
    success: { '201': { description: 'The order, APPROVED', schema: 'Order', headers: { Location: true } } },
    failures: {
      '400': 'The body is not JSON',
      '413': 'The body is larger than 64 KiB',
      '415': 'The body is not application/json',
      '422': 'The body does not match the schema, or names an unknown restaurant or menu item',
    },
  },
  'get-order-details': {
    operationId: 'getOrderDetails',
    summary: 'One order in full detail, for polling',
    description:
      'The order with its restaurant, kitchen ticket, delivery (courier, ETA, location) and bill. Parts that cannot be read ' +
      'right now are null with an `_errors` entry; `order` is always present. To follow an order, poll this operation about ' +
      `every ${RECOMMENDED_POLL_SECONDS} s (never more often than every 5 s) with \`If-None-Match\` set to the last \`ETag\`: ` +
      'an unchanged order answers 304 without a body. Every poll counts against the quota. Partial answers carry no ETag.',
    tags: ['orders'],
    // If-None-Match, the ETag and the 304 come from the route's etag policy (build-document.ts).
    success: { '200': { description: 'The order in full detail', schema: 'OrderDetails', headers: { 'Cache-Control': true } } },
    failures: { '404': 'No such order, or it belongs to another consumer' },
  },
  'cancel-order': {
    operationId: 'cancelOrder',
    summary: 'Cancel an order',
    description: 'Possible until the courier has picked the order up (then 409). Cancelling an already cancelled order is 409 too.',
    tags: ['orders'],
    success: { '200': { description: 'The order, CANCELLED', schema: 'Order' } },
    failures: { '404': 'No such order, or it belongs to another consumer', '409': 'The order can no longer be cancelled' },
  },
});
