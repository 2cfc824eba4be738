/**
 * Redis rate-limit store: one atomic Lua round trip per decision (sliding-window.ts), run by SHA and re-sent on
 * NOSCRIPT, bounded by its own deadline (one timer per store, not per decision), which a reply that has already
 * arrived always beats. Failing open or closed when it throws is the middleware's call.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Cluster, Redis } from 'ioredis';
import { DeadlineQueue } from '../redis/deadline-queue';
import { untimedCommand } from '../redis/untimed-command';
import { runInTraceContext, tracedContext, type TraceContext } from '../telemetry';
import { SLIDING_WINDOW_LUA } from './sliding-window';
import { checkDecideArguments, RateLimitStoreError, type RateLimitDecision, type RateLimitStore } from './store';

/** Options for RedisRateLimitStore. */
export interface RedisRateLimitStoreOptions {
  /** Prepended to every key, e.g. `portico:rl:` (REDIS_KEY_PREFIX + `rl:`). */
  prefix: string;
  /** Longest a decision may take, NOSCRIPT re-send included (REDIS_COMMAND_TIMEOUT, ~100 ms). */
  timeoutMs: number;
}

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_LUA).digest('hex');

/** A RateLimitStore shared by every process of a service through Redis (standalone, Sentinel or Cluster). */
export class RedisRateLimitStore implements RateLimitStore {
  /** SHA1 of the Lua script, as EVALSHA and SCRIPT EXISTS know it. */
  static readonly scriptSha = SCRIPT_SHA;
  private readonly client: Redis | Cluster;
  private readonly prefix: string;
  private readonly timeoutMessage: string;
  private readonly deadlines: DeadlineQueue<Decision>;
  private batch: Decision[] = [];
  // The batch leaves in an immediate, which under TRACE_CONTEXT=async-local-storage runs in the context of the decision
  // that queued it, often another request's: it is sent under the root context, each traced decision under its own.
  private readonly sendBatchFn = (): void => this.sendBatch();
  private readonly flush = (): void => runInTraceContext(ROOT_CONTEXT, this.sendBatchFn);

  constructor(client: Redis | Cluster, options: RedisRateLimitStoreOptions) {
    this.client = client;
    this.prefix = options.prefix;
    this.timeoutMessage = `redis gave no rate-limit decision within ${options.timeoutMs} ms`;
    this.deadlines = new DeadlineQueue(options.timeoutMs, (decision) => this.fail(decision, new RateLimitStoreError('timeout', this.timeoutMessage)));
  }

  /**
   * The Redis key for a decision key. The whole decision key is the hash tag, so everything one decision touches
   * hashes to one Cluster slot (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
   */
  redisKey(key: string): string {
    // A brace inside the identity would end the hash tag early; escape both.
    return `${this.prefix}{${key.replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'))}}`;
  }

  /** Runs the script for `key`; rejects with RateLimitStoreError on timeout or when Redis cannot answer. */
  decide(key: string, limit: number, windowMs: number, cost = 1): Promise<RateLimitDecision> {
    try {
      checkDecideArguments(limit, windowMs, cost);
    } catch (err) {
      // Callers see a rejection, never a synchronous throw, as from any store.
      return Promise.reject(err as Error);
    }
    const redisKey = this.redisKey(key);
    return new Promise((resolve, reject) => {
      const decision: Decision = { deadline: 0, done: false, next: undefined, redisKey, limit, windowMs, cost, traced: tracedContext(), resolve, reject };
      this.deadlines.add(decision);
      if (this.client.isCluster) this.send(decision, 'evalsha');
      else if (this.batch.push(decision) === 1) setImmediate(this.flush);
    });
  }

  // Decisions asked for in one event-loop turn (every request read from the sockets in that poll) leave in one socket
  // write instead of one per decision, which was ~17% of the edge stack's CPU (bench/edge-stack.ts). Not ioredis's
  // enableAutoPipelining: it holds commands back while a pipeline is in flight, without their command timeout running,
  // so cache and API-key reads on the shared client could wait two timeouts. A Cluster spreads keys over slots, which
  // one connection cannot serve. A traced request's decision joins the batch too and is sent in its own trace context,
  // so its Redis span stays in its trace (sent alone, each traced decision was a socket write of its own: the largest
  // cost of tracing on the edge stack, bench/edge-stack.ts).
  //
  // Each decision is its own EVALSHA, written while the connection's socket is corked, so the batch still leaves in one
  // writev. Not an ioredis pipeline: its commands outlived their replies long enough to reach V8's old generation,
  // about 1 KB per decision (measured on the edge stack at c=50: 0.37 MB promoted per scavenge, scavenges of 2.5 ms;
  // corked, 0.03 MB and 1.5 ms, and 10% less CPU per request).
  private sendBatch(): void {
    const batch = this.batch;
    this.batch = [];
    const socket = (this.client as Redis).stream as Partial<Pick<Writable, 'cork' | 'uncork'>> | undefined;
    socket?.cork?.();
    try {
      for (const decision of batch) if (!decision.done) this.send(decision, 'evalsha');
    } finally {
      socket?.uncork?.();
    }
  }

  // One record per decision carries it from decide() to its answer: no promise chain per step, which with tracing on
  // (async hooks) cost about as much again as the store's own work.
  private send(decision: Decision, command: 'evalsha' | 'eval'): void {
    const { redisKey, limit, windowMs, cost, traced } = decision;
    const args = [command === 'evalsha' ? SCRIPT_SHA : SLIDING_WINDOW_LUA, 1, redisKey, limit, windowMs, cost];
    // Redis and Cluster both answer with the command's promise.
    // Without ioredis's own timer: the store's DeadlineQueue bounds the decision, and a reply that arrived in time wins.
    const sendCommand = () => this.client.sendCommand(untimedCommand(command, args)) as Promise<unknown>;
    const reply = traced ? runInTraceContext(traced, sendCommand) : sendCommand();
    reply.then(
      (value) => this.answer(decision, value),
      (err: unknown) => {
        // After a Redis restart, failover or SCRIPT FLUSH the cache is empty: EVAL sends the script and caches it
        // again on the node that owns the key (SCRIPT LOAD could land on another Cluster node). Within the same deadline.
        if (command === 'evalsha' && isNoScript(err) && !decision.done) this.send(decision, 'eval');
        else this.fail(decision, commandFailure(err));
      },
    );
  }

  private answer(decision: Decision, reply: unknown): void {
    if (decision.done) return;
    if (!Array.isArray(reply) || reply.length !== 4) {
      this.fail(decision, new RateLimitStoreError('unavailable', 'rate-limit script returned an unexpected reply'));
      return;
    }
    const resolve = decision.resolve;
    settle(decision);
    resolve({ allowed: Number(reply[0]) === 1, limit: decision.limit, remaining: Number(reply[1]), resetMs: Number(reply[2]), retryAfterMs: Number(reply[3]) });
  }

  private fail(decision: Decision, err: RateLimitStoreError): void {
    if (decision.done) return;
    const reject = decision.reject;
    settle(decision);
    reject(err);
  }
}

function commandFailure(err: unknown): RateLimitStoreError {
  const message = String((err as Error)?.message ?? err);
  const reason = /timed out/i.test(message) ? 'timeout' : 'unavailable';
  return new RateLimitStoreError(reason, `redis rate-limit decision failed: ${message}`, err);
}

function isNoScript(err: unknown): boolean {
  return String((err as Error)?.message).startsWith('NOSCRIPT');
}

/**
 * Marks a decision finished and lets go of what it held (its promise's callbacks, its trace context): the record
 * itself stays queued until the sweep reaches it, a whole timeout later, long enough to reach V8's old generation;
 * only this small record should get there, not everything the request held.
 */
function settle(decision: Decision): void {
  decision.done = true;
  decision.resolve = NOOP;
  decision.reject = NOOP;
  decision.traced = undefined;
}

const NOOP = (): void => undefined;

/** One decision from decide() to its answer: expired by DeadlineQueue unless `done` is set first. */
interface Decision {
  deadline: number;
  done: boolean;
  next: Decision | undefined;
  redisKey: string;
  limit: number;
  windowMs: number;
  cost: number;
  /** The request's trace context when it is traced: its Redis span is made in it. */
  traced: TraceContext | undefined;
  resolve: (decision: RateLimitDecision) => void;
  reject: (err: RateLimitStoreError) => void;
}
