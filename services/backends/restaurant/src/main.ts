/** Restaurant service entry point: config from the environment, then serve. */
import { runService } from '@portico/edge';
import { restaurantRoutes } from './routes';

void runService({ serviceName: 'restaurant', defaults: { PORT: '9002' } }, () => ({ router: restaurantRoutes() }));
