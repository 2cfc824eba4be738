/** Service: the shared app stack, the process runtime, serving with graceful shutdown, and service entry points. */
export { createEdgeApp, type EdgeAppDeps, type EdgeAppOptions } from './edge-app';
export { createEdgeRuntime, type EdgeRuntime, type EdgeRuntimeOptions, type PendingHook } from './edge-runtime';
export { serve, type Serving, type ServeOptions } from './serve';
export { startService, runService, exitOnStartupError, type RunningService, type ServiceDefinition, type BuildService } from './run-service';
export { releaseStartupMemory, STARTUP_CHECK, type StartupMemoryOptions } from './release-startup-memory';
