/**
 * The response schemas of the public API (JSON Schema 2020-12, as OpenAPI 3.1 uses it): the views' shapes, the
 * restaurant catalogue and the RFC 9457 problem model. The request body schema is not here: it comes from routes.yaml.
 */
import { ORDER_STATES } from '../views/order';

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (name: string): JsonSchema => ({ anyOf: [ref(name), { type: 'null' }] });
const text: JsonSchema = { type: 'string' };
const instant: JsonSchema = { type: 'string', format: 'date-time' };
const cents: JsonSchema = { type: 'integer', minimum: 0, description: 'Integer amount in the smallest unit of `currency` (cents)' };
const currency: JsonSchema = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' };

function object(properties: Record<string, JsonSchema>, options: { closed?: boolean; optional?: string[]; description?: string } = {}): JsonSchema {
  const optional = new Set(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    required: Object.keys(properties).filter((name) => !optional.has(name)),
    properties,
    // Shapes Portico builds itself are closed, so the contract tests notice any field that was not documented.
    ...(options.closed === false ? {} : { additionalProperties: false }),
  };
}

const address = object({ street: text, city: text, zip: text });

/** Every named schema of the document, by component name. */
export const componentSchemas: Readonly<Record<string, JsonSchema>> = Object.freeze({
  OrderState: {
    type: 'string',
    enum: [...ORDER_STATES],
    description: 'APPROVED → PREPARING → READY_FOR_PICKUP → PICKED_UP → DELIVERED; CANCELLED before pickup',
  },
  Address: address,
  Order: object(
    {
      orderId: text,
      consumerId: { type: 'string', description: 'The consumer the API key belongs to' },
      restaurantId: text,
      state: ref('OrderState'),
      lineItems: { type: 'array', items: object({ menuItemId: text, name: text, quantity: { type: 'integer', minimum: 1 }, price: cents }) },
      deliveryAddress: ref('Address'),
      total: cents,
      currency,
      createdAt: instant,
      updatedAt: instant,
      history: { type: 'array', items: object({ state: ref('OrderState'), at: instant }), description: 'Every state the order has been in, oldest first' },
    },
    { description: 'An order; amounts in integer cents' },
  ),
  OrderList: object({ orders: { type: 'array', items: ref('Order'), description: 'Newest first' } }),
  OrderRestaurant: object({ restaurantId: text, name: text, cuisine: text, address: ref('Address') }),
  Ticket: object(
    {
      ticketId: text,
      state: { type: 'string', enum: ['ACCEPTED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED'] },
      readyBy: instant,
      updatedAt: instant,
    },
    { description: "The restaurant kitchen's ticket" },
  ),
  Delivery: object(
    {
      deliveryId: text,
      state: { type: 'string', enum: ['PENDING', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] },
      courier: object({ name: text }),
      eta: instant,
      location: object({ lat: { type: 'number', minimum: -90, maximum: 90 }, lng: { type: 'number', minimum: -180, maximum: 180 } }),
      updatedAt: instant,
    },
    { description: 'The courier, the estimated arrival and where the courier is' },
  ),
  Bill: object({ billId: text, amount: cents, currency, state: { type: 'string', enum: ['AUTHORIZED', 'VOIDED'] } }),
  PartError: object({
    part: { type: 'string', enum: ['restaurant', 'ticket', 'delivery', 'bill'] },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    title: text,
  }),
  OrderDetails: object(
    {
      order: ref('Order'),
      restaurant: nullable('OrderRestaurant'),
      ticket: nullable('Ticket'),
      delivery: nullable('Delivery'),
      bill: nullable('Bill'),
      _errors: { type: 'array', minItems: 1, items: ref('PartError'), description: 'Present only when a part could not be read; that part is null' },
    },
    { optional: ['_errors'], description: 'The full detail of one order. `order` is always present; the other parts are null when absent or failed.' },
  ),
  // Proxied from the restaurant service: documented fields are always present, new ones may appear.
  RestaurantSummary: object({ restaurantId: text, name: text, cuisine: text, address: ref('Address'), openingHours: text }, { closed: false }),
  RestaurantList: object({ restaurants: { type: 'array', items: ref('RestaurantSummary') } }),
  Restaurant: object(
    {
      restaurantId: text,
      name: text,
      cuisine: text,
      address: ref('Address'),
      openingHours: text,
      currency,
      menu: { type: 'array', items: object({ menuItemId: text, name: text, price: cents }, { closed: false }) },
    },
    { closed: false, description: 'A restaurant with its menu; prices in integer cents of `currency`' },
  ),
  OpenApiDocument: {
    type: 'object',
    required: ['openapi', 'info', 'paths'],
    properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details, sent as application/problem+json for every failure',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri', description: 'Stable URN per error code, e.g. urn:portico:problem:rate-limited; switch on this' },
      title: text,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string', description: 'Human-readable; never parse it' },
      instance: { type: 'string', format: 'uri-reference' },
      requestId: { type: 'string', description: 'Quote it when asking for support (also in X-Request-Id)' },
      errors: {
        type: 'array',
        description: 'Field-level problems of a 422',
        items: { type: 'object', properties: { field: text, message: text, pointer: text, path: text, code: text } },
      },
    },
  },
});
