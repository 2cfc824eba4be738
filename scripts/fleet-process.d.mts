/** Types for fleet-process.mjs: one service as a child process, shared by `make dev` and the e2e harness. */

/** How a child ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}

/** What a ServiceProcess runs and where. */
export interface ServiceProcessOptions {
  name: string;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  host: string;
  port: number;
  /** Spawn in a process group of its own (`make dev`, which forwards signals itself); default false. */
  ownGroup?: boolean;
  ringSize?: number;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  onExit?: (exit: ExitInfo) => void;
}

/** GET /readyz once; true on a 2xx. */
export declare function probeReady(host: string, port: number, timeoutMs?: number): Promise<boolean>;
/** `exited with code 1` or `was killed by SIGKILL`. */
export declare function describeExit(exit: ExitInfo): string;

/** A service process that can be started, awaited, signalled and restarted on the same port. */
export declare class ServiceProcess {
  constructor(options: ServiceProcessOptions);
  readonly name: string;
  readonly port: number;
  readonly host: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  exit: ExitInfo | undefined;
  exited: Promise<ExitInfo | undefined>;
  start(): this;
  lastLines(count?: number): string[];
  waitReady(timeoutMs?: number): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  waitExit(timeoutMs: number): Promise<ExitInfo | undefined>;
  stop(graceMs?: number): Promise<ExitInfo & { forced: boolean }>;
}
