/** Types for deploy-templates.mjs: the text of each per-service deployment file. */
import type { DeployedService } from './deploy-plan.mjs';

export declare const PRE_STOP_SECONDS: number;
export declare const K8S_DRAIN_DELAY: string;
export declare const K8S_SHUTDOWN_TIMEOUT: string;
export declare const TERMINATION_GRACE_SECONDS: number;
export declare const HEALTHCHECK_ARGV: readonly string[];
export declare function dockerfile(s: DeployedService): string;
export declare function nginxPrefixConf(s: Pick<DeployedService, 'name'>, prefix: string): string;
export declare function nginxHttpConf(s: Pick<DeployedService, 'name' | 'defaultPort'>, prefix: string): string;
export declare function k8sBffBase(
  s: DeployedService,
  options: { prefix: string; wiring: Record<string, string>; jwtAudience?: string; hpa?: { min: number; max: number } },
): Record<string, string>;
export declare function k8sBffDevOverlay(s: DeployedService, options: { prefix: string; auth?: Record<string, string> }): string;
export declare function k8sBffProdOverlay(s: DeployedService): string;
export declare function bffWorkflow(s: DeployedService): string;
export declare function codeownersBlock(s: DeployedService, team: string): string;
export declare function k8sBackend(s: DeployedService, options: { wiring: Record<string, string> }): string;
export declare function composeService(
  s: DeployedService,
  options: { wiring: Record<string, string>; env?: Record<string, string>; dependsOn?: string[]; ports?: string[] },
): string;
export declare function prometheusTarget(s: DeployedService): string;
