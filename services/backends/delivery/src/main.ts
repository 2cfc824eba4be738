/** Delivery service entry point: config from the environment, then serve. */
import { durationSchema, runService } from '@portico/edge';
import { deliveryRoutes } from './routes';

void runService(
  {
    serviceName: 'delivery',
    defaults: { PORT: '9005', DELIVERY_PICKUP_TIME: '15s', DELIVERY_TRAVEL_TIME: '10s', COURIER_LOCATION_EVERY: '1s' },
    extra: { DELIVERY_PICKUP_TIME: durationSchema, DELIVERY_TRAVEL_TIME: durationSchema, COURIER_LOCATION_EVERY: durationSchema },
  },
  ({ extra, bus, onShutdown }) => {
    const { router, stop } = deliveryRoutes({
      pickupMs: extra.DELIVERY_PICKUP_TIME,
      travelMs: extra.DELIVERY_TRAVEL_TIME,
      locationEveryMs: extra.COURIER_LOCATION_EVERY,
      bus,
    });
    onShutdown('courier timers', stop);
    return { router };
  },
);
