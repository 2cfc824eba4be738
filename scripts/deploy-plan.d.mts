/** Types for deploy-plan.mjs: what packaging and deploying each service needs, read from the service's own files. */

/** One service as deployment sees it. */
export interface DeployedService {
  name: string;
  kind: 'backend' | 'bff';
  /** `bff` links @portico/gateway; `app` is any other client-facing package (a static web app). */
  role: 'backend' | 'bff' | 'app';
  /** Its folder relative to the repository root, with forward slashes (`services/web-bff`). */
  dir: string;
  packageName: string;
  description: string;
  defaultPort: number;
  grpcPort?: number;
  /** `portico/<name>`. */
  image: string;
  /** The workspace libs it links, transitively, in build order (`libs/edge`, `libs/gateway`). */
  libs: string[];
  /** The argv of its `start` script. */
  start: string[];
  hasBuild: boolean;
  /** `<dir>/routes.yaml` when it has a routing map. */
  routingMap?: string;
  /** The variables its own code and routing map declare, beyond the edge ones. */
  variables: string[];
  /** `<dir>/public` when it serves static files. */
  assets?: string;
  /** Whether it loads the repository's proto/ folder at run time. */
  protos: boolean;
}

export declare const OTLP_ENDPOINT: string;
export declare const REDIS_URL: string;
export declare const LB_PORT: number;
export declare const REPO_ROOT: string;
export declare function serviceUrlVar(name: string): string;
export declare function grpcAddressVar(name: string): string;
export declare function imageName(name: string): string;
export declare function defaultClientPrefix(name: string): string;
export declare function defaultTeam(name: string): string;
export declare function workspacePackages(root?: string): Map<string, { dir: string; pkg: Record<string, unknown> }>;
export declare function linkedLibs(packageName: string, root?: string): string[];
export declare function scriptArgv(pkg: { name?: string; scripts?: Record<string, string> }, script: string): string[];
export declare function routingMapVariables(file: string): string[];
export declare function serviceVariables(serviceDir: string): string[];
export declare function deploymentPlan(root?: string): DeployedService[];
export declare function listenEnv(service: DeployedService): Record<string, string>;
export declare function upstreamWiring(service: DeployedService, plan: readonly DeployedService[]): Record<string, string>;
