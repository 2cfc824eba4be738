/**
 * ioredis Commands sent without ioredis's own commandTimeout timer, for callers that bound them with a DeadlineQueue
 * (deadline-queue.ts says why: a timer may fail a command whose reply has already arrived).
 */
import type * as IORedis from 'ioredis';
import type { Command } from 'ioredis';

/** What a command's arguments may be. */
export type RedisArgument = string | number | Buffer;

type UntimedCommandClass = new (name: string, args: RedisArgument[], replyEncoding: 'utf8' | null) => Command;
let UntimedCommand: UntimedCommandClass | undefined;

/** A command whose reply comes as text (`utf8`) or as Buffers (`null`), with no timer of its own. */
export function untimedCommand(name: string, args: RedisArgument[], replyEncoding: 'utf8' | null = 'utf8'): Command {
  if (!UntimedCommand) {
    // Loaded on first use, as createRedisClient loads it: a service without REDIS_URL never needs ioredis.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Command: IORedisCommand } = require('ioredis') as typeof IORedis;
    UntimedCommand = class UntimedCommand extends IORedisCommand {
      constructor(name: string, args: RedisArgument[], replyEncoding: 'utf8' | null) {
        super(name, args, { replyEncoding });
      }

      override setTimeout(): void {
        // Bounded by the caller's DeadlineQueue.
      }
    };
  }
  return new UntimedCommand(name, args, replyEncoding);
}
