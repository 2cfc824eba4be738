/** Types for fleet-plan.mjs: service discovery, ports and environment wiring shared by `make dev` and the e2e harness. */

/** One service of the fleet, read from its package.json. */
export interface ServiceSpec {
  name: string;
  kind: 'backend' | 'bff';
  dir: string;
  defaultPort: number;
  /** `portico.grpcPort` of a backend that also serves gRPC (its HTTP port + 100 by convention). */
  grpcPort?: number;
  packageName: string;
  entry: string;
}

/** The repository root. */
export declare const REPO_ROOT: string;
/** Variables passed from the caller's environment to every service. */
export declare const PASSTHROUGH_VARS: readonly string[];
/** Every service under `root`, backends first. */
export declare function discoverServices(root?: string): ServiceSpec[];
/** The services named in `only`, in fleet order. */
export declare function selectServices(all: ServiceSpec[], only?: readonly string[]): ServiceSpec[];
/** Parses PORTICO_PORT_OFFSET. */
export declare function parsePortOffset(value: string | undefined): number;
/** Default port plus offset per service name. */
export declare function defaultPorts(services: readonly ServiceSpec[], offset?: number): Map<string, number>;
/** `order` → `ORDER_SERVICE_URL`. */
export declare function serviceUrlVar(name: string): string;
/** `<repo>/.local/api-keys.json`, created as `[]` when missing. */
export declare function localApiKeysFile(): string;
/** The embedded local settings for one service. */
export declare function serviceEnv(
  service: ServiceSpec,
  all: readonly ServiceSpec[],
  ports: ReadonlyMap<string, number>,
  options?: { host?: string; nodeEnv?: 'development' | 'test' | 'production' },
): Record<string, string>;
/** The OS basics (and pass-through variables) a child inherits. */
export declare function inheritedEnv(parent: NodeJS.ProcessEnv, options?: { passthrough?: boolean }): Record<string, string>;
/** A "run `npx tsc -b` first" message naming unbuilt services, or undefined. */
export declare function missingBuilds(services: readonly ServiceSpec[]): string | undefined;
