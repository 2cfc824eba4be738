/**
 * The few commands the API-key store and the response cache send, each bounded by REDIS_COMMAND_TIMEOUT through one
 * DeadlineQueue instead of ioredis's timer per command, so a reply that arrived in time still counts when the process
 * itself was late (deadline-queue.ts). The rate-limit store does the same for its decisions (ratelimit/redis-store.ts).
 */
import type { Cluster, Redis } from 'ioredis';
import { DeadlineQueue } from './deadline-queue';
import { untimedCommand, type RedisArgument } from './untimed-command';

/** Rejects a command that got no reply within the timeout; the shared client's own errors pass through as they are. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

interface Pending {
  deadline: number;
  done: boolean;
  next: Pending | undefined;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const NOOP = (): void => undefined;

/** A shared client's commands with Portico's deadline: hash reads and writes for API keys, binary values for the cache. */
export class BoundedRedis {
  private readonly deadlines: DeadlineQueue<Pending>;
  private readonly timeoutMessage: string;

  constructor(
    private readonly client: Redis | Cluster,
    timeoutMs: number,
  ) {
    this.timeoutMessage = `redis gave no answer within ${timeoutMs} ms`;
    this.deadlines = new DeadlineQueue(timeoutMs, (pending) => settle(pending).reject(new RedisTimeoutError(this.timeoutMessage)));
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.send('hgetall', [key], 'utf8');
  }

  hset(key: string, values: Record<string, string>): Promise<number> {
    return this.send('hset', [key, ...Object.entries(values).flat()], 'utf8');
  }

  getBuffer(key: string): Promise<Buffer | null> {
    return this.send('get', [key], null);
  }

  set(key: string, value: Buffer | string, px: 'PX', ttlMs: number): Promise<'OK' | null> {
    return this.send('set', [key, value, px, ttlMs], 'utf8');
  }

  private send<T>(name: string, args: RedisArgument[], replyEncoding: 'utf8' | null): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline: 0, done: false, next: undefined, resolve: resolve as (value: unknown) => void, reject };
      this.deadlines.add(pending);
      (this.client.sendCommand(untimedCommand(name, args, replyEncoding)) as Promise<T>).then(
        (value) => {
          if (!pending.done) settle(pending).resolve(value);
        },
        (err: unknown) => {
          if (!pending.done) settle(pending).reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}

/**
 * Marks an entry done and returns its callbacks, letting go of them: the entry stays queued until the sweep reaches it,
 * a whole timeout later, and only this small record should outlive the request.
 */
function settle(pending: Pending): Pick<Pending, 'resolve' | 'reject'> {
  const { resolve, reject } = pending;
  pending.done = true;
  pending.resolve = NOOP;
  pending.reject = NOOP;
  return { resolve, reject };
}
