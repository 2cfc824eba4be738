/** The restaurants every fresh restaurant service starts with: fixed ids so READMEs, tests and benchmarks can name them. */

/** A dish on a menu; prices are integer cents in the restaurant's currency. */
export interface MenuItem {
  menuItemId: string;
  name: string;
  price: number;
}

/** A restaurant with its menu. */
export interface Restaurant {
  restaurantId: string;
  name: string;
  cuisine: string;
  address: { street: string; city: string; zip: string };
  currency: string;
  openingHours: string;
  menu: MenuItem[];
}

/** Seeded restaurants, deterministic across starts. */
export const seedRestaurants: readonly Restaurant[] = [
  {
    restaurantId: 'r-1',
    name: 'Ajanta',
    cuisine: 'Indian',
    address: { street: '1 Curry Lane', city: 'Oakland', zip: '94611' },
    currency: 'USD',
    openingHours: '11:00-22:00',
    menu: [
      { menuItemId: 'm-101', name: 'Chicken Vindaloo', price: 1250 },
      { menuItemId: 'm-102', name: 'Palak Paneer', price: 1100 },
      { menuItemId: 'm-103', name: 'Garlic Naan', price: 350 },
    ],
  },
  {
    restaurantId: 'r-2',
    name: 'Bella Napoli',
    cuisine: 'Pizza',
    address: { street: '22 Oven Street', city: 'Oakland', zip: '94612' },
    currency: 'USD',
    openingHours: '12:00-23:00',
    menu: [
      { menuItemId: 'm-201', name: 'Margherita', price: 1400 },
      { menuItemId: 'm-202', name: 'Diavola', price: 1600 },
      { menuItemId: 'm-203', name: 'Tiramisu', price: 700 },
    ],
  },
  {
    restaurantId: 'r-3',
    name: 'Sakura',
    cuisine: 'Japanese',
    address: { street: '8 Cherry Court', city: 'Berkeley', zip: '94704' },
    currency: 'USD',
    openingHours: '17:00-22:30',
    menu: [
      { menuItemId: 'm-301', name: 'Salmon Nigiri (2)', price: 600 },
      { menuItemId: 'm-302', name: 'Dragon Roll', price: 1500 },
      { menuItemId: 'm-303', name: 'Miso Soup', price: 300 },
    ],
  },
];
