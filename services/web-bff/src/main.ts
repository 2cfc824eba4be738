/** web-bff entry point: build from the environment and routes.yaml, mount live order updates, then listen; configuration problems print one per line and exit 1. */
import { exitOnStartupError } from '@portico/edge';
import { liveOrdersForBff, startBff } from '@portico/gateway';
import { createWebBff, LOCAL_CORS_ORIGINS, SERVICE_NAME } from './web-bff';

createWebBff()
  .then(async (bff) => {
    // The browser app's WebSocket origins are its CORS origins (docs/edge-defaults.md "WebSocket": check Origin).
    const corsOrigins = bff.extra.CORS_ALLOWED_ORIGINS as readonly string[] | undefined;
    const allowedOrigins = corsOrigins ?? (bff.config.service.env === 'production' ? [] : LOCAL_CORS_ORIGINS);
    bff.mount('live orders', liveOrdersForBff(bff, { allowedOrigins, scopes: ['orders:read'] }));
    await startBff(bff);
  })
  .catch((err: unknown) => exitOnStartupError(SERVICE_NAME, err));
