/** Order service entry point: config from the environment, the services it coordinates, then serve. */
import { durationSchema, EventLog, runService } from '@portico/edge';
import { z } from 'zod';
import { Collaborators } from './collaborators';
import { OrderBook } from './order-book';
import { orderRoutes } from './routes';

const url = z.url({ message: 'expected a URL like http://127.0.0.1:9001' });

void runService(
  {
    serviceName: 'order',
    defaults: {
      PORT: '9003',
      ORDER_STEP_TIME: '5s',
      CONSUMER_SERVICE_URL: 'http://127.0.0.1:9001',
      RESTAURANT_SERVICE_URL: 'http://127.0.0.1:9002',
      KITCHEN_SERVICE_URL: 'http://127.0.0.1:9004',
      DELIVERY_SERVICE_URL: 'http://127.0.0.1:9005',
      ACCOUNTING_SERVICE_URL: 'http://127.0.0.1:9006',
    },
    extra: {
      ORDER_STEP_TIME: durationSchema,
      CONSUMER_SERVICE_URL: url,
      RESTAURANT_SERVICE_URL: url,
      KITCHEN_SERVICE_URL: url,
      DELIVERY_SERVICE_URL: url,
      ACCOUNTING_SERVICE_URL: url,
    },
  },
  ({ extra, bus, logger, readiness, onShutdown }) => {
    const collaborators = new Collaborators({
      consumer: extra.CONSUMER_SERVICE_URL,
      restaurant: extra.RESTAURANT_SERVICE_URL,
      kitchen: extra.KITCHEN_SERVICE_URL,
      delivery: extra.DELIVERY_SERVICE_URL,
      accounting: extra.ACCOUNTING_SERVICE_URL,
    });
    // The log ends open event streams as soon as shutdown begins, so draining never waits on them.
    const events = new EventLog(bus, { draining: () => readiness.isDraining() });
    const book = new OrderBook({ collaborators, bus: events, logger, stepMs: extra.ORDER_STEP_TIME });
    onShutdown('event streams', () => events.close());
    onShutdown('order timers', () => book.stop());
    onShutdown('collaborator pool', () => collaborators.close());
    return { router: orderRoutes(book, collaborators) };
  },
);
