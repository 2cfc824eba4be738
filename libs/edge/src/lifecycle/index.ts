/** Lifecycle: graceful shutdown on SIGTERM/SIGINT with in-flight draining and ordered shutdown hooks. */
export { Lifecycle, createLifecycle, type LifecycleOptions, type ShutdownHook, type DrainableReadiness } from './lifecycle';
