/** mobile-bff entry point: build from the environment and routes.yaml, mount live order updates, then listen; configuration problems print one per line and exit 1. */
import { exitOnStartupError } from '@portico/edge';
import { liveOrdersForBff, startBff } from '@portico/gateway';
import { createMobileBff, SERVICE_NAME } from './mobile-bff';

createMobileBff()
  .then(async (bff) => {
    // The phone app is a native client: it sends no Origin, so no browser origin is allowed to open live connections.
    bff.mount('live orders', liveOrdersForBff(bff, { allowedOrigins: [], scopes: ['orders:read'] }));
    await startBff(bff);
  })
  .catch((err: unknown) => exitOnStartupError(SERVICE_NAME, err));
