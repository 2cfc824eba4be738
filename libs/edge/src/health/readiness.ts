/**
 * Readiness: named dependency checks, info values and the draining flag behind GET /readyz (docs/edge-defaults.md "Lifecycle").
 * Serving the probe routes is health-routes' job; deciding when to drain is the lifecycle's.
 */
import type { EdgeLogger } from '../state';

/** One readiness check: true when the dependency can serve; a throw, a rejection or a slow answer counts as false. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** Settings for Readiness. */
export interface ReadinessOptions {
  /** Longest a single check may take before it counts as failed (default 500 ms). */
  checkTimeoutMs?: number;
  /** Receives one line whenever a check changes between passing and failing. */
  logger?: EdgeLogger;
}

/** The outcome of one readiness evaluation, as /readyz shows it. */
export interface ReadinessReport {
  /** True when every check passed and the process is not draining. */
  ready: boolean;
  /** True once shutdown has begun: readiness fails whatever the checks say. */
  draining: boolean;
  /** Each registered check by name. */
  checks: Record<string, boolean>;
  /** Informational values such as routingMapVersion. */
  info: Record<string, string>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 500;

/** Holds the checks that decide whether this process should receive traffic. */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly info = new Map<string, string>();
  private readonly lastOutcome = new Map<string, boolean>();
  private readonly checkTimeoutMs: number;
  private readonly logger: EdgeLogger | undefined;
  private draining = false;
  // Probes from several kubelets and load balancers arrive together; they share one evaluation.
  private running: Promise<ReadinessReport> | undefined;

  constructor(options: ReadinessOptions = {}) {
    this.checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    this.logger = options.logger;
  }

  /** Adds a named check; names are unique so /readyz can say which dependency is failing. */
  register(name: string, check: ReadinessCheck): this {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, check);
    return this;
  }

  /** Sets an informational value shown by /readyz (e.g. `routingMapVersion`); it never affects readiness. */
  setInfo(key: string, value: string | number): this {
    this.info.set(key, String(value));
    return this;
  }

  /** Makes readiness fail from now on, so load balancers stop sending new requests. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.logger?.info({ draining: true }, 'readiness: draining, /readyz now answers 503');
  }

  /** True once startDraining has been called. */
  isDraining(): boolean {
    return this.draining;
  }

  /** Runs every check (in parallel, each bounded by the check timeout) and reports the result. */
  check(): Promise<ReadinessReport> {
    this.running ??= this.evaluate().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async evaluate(): Promise<ReadinessReport> {
    const entries = [...this.checks];
    const outcomes = await Promise.all(entries.map(([name, fn]) => this.runOne(name, fn)));
    const checks: Record<string, boolean> = {};
    entries.forEach(([name], i) => (checks[name] = outcomes[i] === true));
    const draining = this.draining;
    return { ready: !draining && outcomes.every(Boolean), draining, checks, info: Object.fromEntries(this.info) };
  }

  private async runOne(name: string, fn: ReadinessCheck): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let failure: string | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        failure = `no answer within ${this.checkTimeoutMs} ms`;
        resolve(false);
      }, this.checkTimeoutMs);
      timer.unref();
    });
    const attempt = (async () => (await fn()) === true)().catch((err: unknown) => {
      failure = err instanceof Error ? err.message : String(err);
      return false;
    });
    const ok = await Promise.race([attempt, timeout]);
    clearTimeout(timer);
    this.noteOutcome(name, ok, failure);
    return ok;
  }

  // Logs transitions only: a probe every few seconds must not write a line each time.
  private noteOutcome(name: string, ok: boolean, failure: string | undefined): void {
    const before = this.lastOutcome.get(name);
    this.lastOutcome.set(name, ok);
    if (before === ok) return;
    if (ok) this.logger?.info({ check: name }, 'readiness check passing');
    else this.logger?.warn({ check: name, reason: failure ?? 'returned false' }, 'readiness check failing');
  }
}

/** A check that PINGs Redis (any client with `ping()`, e.g. ioredis); ready when it answers PONG. */
export function redisCheck(client: { ping(): Promise<string> }): ReadinessCheck {
  return async function redisPing() {
    return (await client.ping()) === 'PONG';
  };
}
