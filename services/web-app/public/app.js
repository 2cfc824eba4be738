/**
 * The Portico browser app: sign in with a pasted local-development token, pick a restaurant, order from its menu and
 * follow the order live. Every call goes to the web BFF named by /config.json; this page embeds no secret.
 */
import { followOrder } from './live.js';

// Life-cycle order: a state re-read after a gap is inserted where it belongs, never after a later one.
const STATES = {
  APPROVED: 'the restaurant accepted the order',
  PREPARING: 'the kitchen is cooking',
  READY_FOR_PICKUP: 'ready for the courier',
  PICKED_UP: 'the courier is on the way',
  DELIVERED: 'delivered, enjoy your meal',
  CANCELLED: 'the order was cancelled',
};
const FINAL_STATES = new Set(['DELIVERED', 'CANCELLED']);
const COURIER_ROWS = 8;
const TOKEN_HINT = 'Create a new one with npm run -s token -- --aud web --sub c-1001.';

const $ = (id) => document.getElementById(id);
const session = { bff: '', token: '', restaurant: undefined, live: undefined, seen: new Set() };

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function money(cents, currency = 'USD') {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
}

function clock(iso) {
  const time = element('time', new Date(iso ?? Date.now()).toLocaleTimeString('en-GB'));
  time.dateTime = iso ?? new Date().toISOString();
  return time;
}

/** Calls the web BFF with the token; a problem+json answer becomes an Error carrying its status, title and detail. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`${session.bff}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw Object.assign(new Error(`cannot reach the web BFF at ${session.bff} (${err.message})`), { status: 0 });
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!res.ok) {
    const reason = [data.title ?? res.statusText, data.detail].filter(Boolean).join(': ');
    throw Object.assign(new Error(`${res.status} ${reason}`), { status: res.status });
  }
  return data;
}

/** The token's subject, read for display only: the BFF is what verifies the token. */
function subjectOf(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

async function signIn(event) {
  event.preventDefault();
  showError('');
  const token = $('token').value.trim();
  if (token.split('.').length !== 3) return showError(`Sign-in failed: that is not a JWT (three dot-separated parts). ${TOKEN_HINT}`);
  session.token = token;
  let list;
  try {
    list = await api('/restaurants');
  } catch (err) {
    session.token = '';
    const why = err.status === 401 ? 'the web BFF refused this token' : 'the web BFF could not be asked';
    return showError(`Sign-in failed: ${why} (${err.message}). ${TOKEN_HINT}`);
  }
  $('token').value = '';
  $('sign-in-form').hidden = true;
  $('signed-in-as').textContent = `Signed in as ${subjectOf(token) ?? 'an unknown consumer'}.`;
  $('signed-in').hidden = false;
  renderRestaurants(list.restaurants ?? []);
}

function signOut() {
  session.live?.stop();
  Object.assign(session, { token: '', restaurant: undefined, live: undefined });
  for (const id of ['signed-in', 'restaurants', 'menu', 'order']) $(id).hidden = true;
  $('sign-in-form').hidden = false;
  showError('');
}

function renderRestaurants(restaurants) {
  const list = $('restaurant-list');
  list.replaceChildren();
  for (const restaurant of restaurants) {
    const item = element('li');
    const button = element('button', restaurant.name);
    button.type = 'button';
    button.addEventListener('click', () => void openMenu(restaurant.restaurantId));
    item.append(button, element('span', ` ${restaurant.cuisine} · open ${restaurant.openingHours}`, 'meta'));
    list.append(item);
  }
  $('restaurants').hidden = false;
}

async function openMenu(restaurantId) {
  showError('');
  let restaurant;
  try {
    restaurant = await api(`/restaurants/${encodeURIComponent(restaurantId)}`);
  } catch (err) {
    return showError(`Could not load the menu: ${err.message}`);
  }
  session.restaurant = restaurant;
  $('menu-heading').textContent = `Menu of ${restaurant.name}`;
  const dishes = $('menu-items');
  dishes.replaceChildren();
  for (const dish of restaurant.menu ?? []) {
    const row = element('div', undefined, 'dish');
    const label = element('label', `${dish.name} `);
    label.htmlFor = `qty-${dish.menuItemId}`;
    label.append(element('span', money(dish.price, restaurant.currency), 'price'));
    const input = Object.assign(element('input'), { type: 'number', id: label.htmlFor, min: '0', max: '99', value: '0', inputMode: 'numeric' });
    input.dataset.menuItemId = dish.menuItemId;
    row.append(label, input);
    dishes.append(row);
  }
  $('menu').hidden = false;
  dishes.querySelector('input')?.focus();
}

async function placeOrder(event) {
  event.preventDefault();
  showError('');
  const lineItems = [...$('menu-items').querySelectorAll('input')]
    .map((input) => ({ menuItemId: input.dataset.menuItemId, quantity: Number(input.value) }))
    .filter((line) => line.quantity > 0);
  if (lineItems.length === 0) return showError('Choose at least one dish (a quantity of 1 or more).');
  const deliveryAddress = { street: $('street').value.trim(), city: $('city').value.trim(), zip: $('zip').value.trim() };
  $('place-order').disabled = true;
  try {
    const order = await api('/orders', { method: 'POST', body: { restaurantId: session.restaurant.restaurantId, lineItems, deliveryAddress } });
    watch(order);
  } catch (err) {
    showError(`The order was not placed: ${err.message}`);
  } finally {
    $('place-order').disabled = false;
  }
}

const rank = (state) => Object.keys(STATES).indexOf(state);
const isFinal = () => [...session.seen].some((state) => FINAL_STATES.has(state));

function addState(state, at) {
  if (!state || session.seen.has(state)) return;
  session.seen.add(state);
  const item = element('li', undefined, 'state');
  item.dataset.state = state;
  item.append(element('strong', state), ` · ${STATES[state] ?? 'updated'} · `, clock(at));
  const later = [...$('progress').children].find((li) => rank(li.dataset.state) > rank(state));
  $('progress').insertBefore(item, later ?? null);
}

function addCourier(location, eta, at) {
  if (!location) return;
  const text = `${location.lat.toFixed(4)}, ${location.lng.toFixed(4)}${eta ? ` · arriving ${new Date(eta).toLocaleTimeString('en-GB')}` : ''} · `;
  const item = element('li', text);
  item.append(clock(at));
  const list = $('courier');
  list.append(item);
  while (list.children.length > COURIER_ROWS) list.firstElementChild.remove();
}

/**
 * Live updates start at the upgrade, and after a `resync` the BFF could not prove nothing was missed: either way,
 * re-read the order and fill in its history, so no state that happened meanwhile is lost.
 */
async function resync(orderId) {
  try {
    const details = await api(`/orders/${encodeURIComponent(orderId)}?fields=order.state,order.history`);
    for (const step of details.order?.history ?? []) addState(step.state, step.at);
    if (isFinal()) session.live?.stop('Live updates: the order is complete');
  } catch (err) {
    showError(`Could not re-read the order: ${err.message}`);
  }
}

function watch(order) {
  session.live?.stop();
  session.seen = new Set();
  $('progress').replaceChildren();
  $('courier').replaceChildren();
  const items = order.lineItems.reduce((sum, line) => sum + line.quantity, 0);
  $('order-heading').textContent = `Order ${order.orderId}`;
  $('order-summary').textContent =
    `${items} item${items === 1 ? '' : 's'} from ${session.restaurant.name}, ${money(order.total, order.currency)}, to ${order.deliveryAddress.street}, ${order.deliveryAddress.city}.`;
  $('order').hidden = false;
  for (const step of order.history ?? [{ state: order.state, at: order.updatedAt }]) addState(step.state, step.at);
  session.live = followOrder({
    bff: session.bff,
    token: session.token,
    orderId: order.orderId,
    onEvent(event) {
      if (event.type === 'order.state-changed') addState(event.state, event.at);
      else if (event.type === 'courier.location') addCourier(event.location, event.eta, event.at);
      else if (event.type === 'resync') void resync(order.orderId);
      return isFinal();
    },
    onOpen(resumed) {
      if (!resumed) void resync(order.orderId);
    },
    onStatus(text, isError) {
      $('live-status').textContent = text;
      $('live-status').classList.toggle('error-text', Boolean(isError));
    },
  });
  $('order-heading').scrollIntoView({ block: 'start' });
}

async function start() {
  try {
    const config = await (await fetch('/config.json', { cache: 'no-store' })).json();
    session.bff = String(config.webBffUrl).replace(/\/+$/, '');
  } catch (err) {
    return showError(`This page could not read its configuration (/config.json): ${err.message}`);
  }
  $('sign-in-form').addEventListener('submit', (event) => void signIn(event));
  $('sign-out').addEventListener('click', signOut);
  $('order-form').addEventListener('submit', (event) => void placeOrder(event));
  document.body.dataset.ready = 'true';
}

void start();
