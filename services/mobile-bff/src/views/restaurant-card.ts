/** A restaurant as the phone lists it: id, name and cuisine only (no address, hours or menu). */
import type { Restaurant } from '../clients';

/** A compact restaurant entry. */
export interface RestaurantCard {
  id: string;
  name: string;
  cuisine: string;
}

/** Maps the restaurant service's entry to a card. */
export function restaurantCard(restaurant: Restaurant): RestaurantCard {
  return { id: restaurant.restaurantId, name: restaurant.name, cuisine: restaurant.cuisine };
}
