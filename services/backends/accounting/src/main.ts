/** Accounting service entry point: config from the environment, then serve. */
import { runService } from '@portico/edge';
import { accountingRoutes } from './routes';

void runService({ serviceName: 'accounting', defaults: { PORT: '9006' } }, () => ({ router: accountingRoutes() }));
