/** Kitchen service entry point: config from the environment, then serve. */
import { durationSchema, runService } from '@portico/edge';
import { kitchenRoutes } from './routes';

void runService(
  { serviceName: 'kitchen', defaults: { PORT: '9004', KITCHEN_PREP_TIME: '10s' }, extra: { KITCHEN_PREP_TIME: durationSchema } },
  ({ extra }) => ({ router: kitchenRoutes({ prepMs: extra.KITCHEN_PREP_TIME }) }),
);
