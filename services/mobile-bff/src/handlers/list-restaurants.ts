/** GET /restaurants for the phone: restaurant cards (id, name, cuisine), optionally of one cuisine. Cached by the route policy. */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { selectFields } from '@portico/gateway';
import { callOf, type Backends } from '../clients';
import { restaurantCard } from '../views/restaurant-card';

const CUISINE = /^[\p{L} -]{1,40}$/u;

/** Builds the listRestaurants handler. */
export function listRestaurants(backends: Backends): Middleware<EdgeState> {
  return async function listRestaurants(ctx) {
    const cuisine = ctx.query.cuisine;
    if (cuisine !== undefined && (typeof cuisine !== 'string' || !CUISINE.test(cuisine))) {
      throw new EdgeError('INVALID_QUERY', { detail: 'cuisine: expected a cuisine name such as Indian' });
    }
    const restaurants = await backends.restaurants(callOf(ctx), cuisine);
    ctx.body = selectFields({ restaurants: restaurants.map(restaurantCard) }, ctx.query.fields);
  };
}
