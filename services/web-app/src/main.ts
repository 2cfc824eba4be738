/** web-app entry point: build from the environment, then listen; configuration problems print one per line and exit 1. */
import { exitOnStartupError } from '@portico/edge';
import { createWebApp, SERVICE_NAME } from './web-app';

Promise.resolve()
  .then(() => createWebApp().listen())
  .catch((err: unknown) => exitOnStartupError(SERVICE_NAME, err));
