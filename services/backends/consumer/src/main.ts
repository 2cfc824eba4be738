/** Consumer service entry point: config from the environment, then serve. */
import { runService } from '@portico/edge';
import { consumerRoutes } from './routes';

void runService({ serviceName: 'consumer', defaults: { PORT: '9001' } }, () => ({ router: consumerRoutes() }));
