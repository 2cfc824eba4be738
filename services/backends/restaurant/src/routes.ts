/** Restaurant service HTTP API: list restaurants, one restaurant with its menu. Read-only; data is seeded in memory. */
import Router from '@koa/router';
import { EdgeError, type EdgeState } from '@portico/edge';
import { seedRestaurants, type Restaurant } from './seed';

/** Builds the restaurant service's routes over an in-memory catalogue. */
export function restaurantRoutes(restaurants: readonly Restaurant[] = seedRestaurants): Router<EdgeState> {
  const byId = new Map(restaurants.map((r) => [r.restaurantId, r]));
  const router = new Router<EdgeState>();

  router.get('/restaurants', (ctx) => {
    const cuisine = typeof ctx.query.cuisine === 'string' ? ctx.query.cuisine.toLowerCase() : undefined;
    ctx.body = {
      restaurants: restaurants
        .filter((r) => !cuisine || r.cuisine.toLowerCase() === cuisine)
        .map(({ restaurantId, name, cuisine: kind, address, openingHours }) => ({ restaurantId, name, cuisine: kind, address, openingHours })),
    };
  });

  router.get('/restaurants/:restaurantId', (ctx) => {
    const restaurant = byId.get(ctx.params.restaurantId ?? '');
    if (!restaurant) throw new EdgeError('NOT_FOUND', { detail: `no restaurant ${ctx.params.restaurantId}` });
    ctx.body = restaurant;
  });

  return router;
}
