/**
 * Composition parts (docs/style.md › Errors): run branches in parallel, a failed optional part becomes null plus an `_errors`
 * entry, a failed required part fails the whole answer with its mapped status. Calling the backends is the caller's code.
 */
import { EdgeError, isEdgeError, type EdgeLogger } from '@portico/edge';
import { UpstreamClientError } from '../clients/json-body';

/** One failed optional part as the client sees it. */
export interface PartError {
  part: string;
  status: number;
  title: string;
}

/** A composed body: the parts plus `_errors` when any optional part failed. */
export type Composed<T> = T & { _errors?: PartError[] };

/**
 * The parts of one composition, handed to composeParts' build function: `optional` records into this composition's
 * `_errors`. (A module-level optional() finding its composition through AsyncLocalStorage would turn on Node's promise
 * hooks for the whole process from the first composed request on: every promise of every later request paid for it.)
 */
export interface CompositionParts {
  /** Runs a required part: its value, or its mapped EdgeError thrown so the whole answer fails with that status. */
  required<T>(part: string, fn: () => Promise<T>): Promise<T>;
  /** Runs an optional part: its value, or null plus an `_errors` entry in this composition. */
  optional<T>(part: string, fn: () => Promise<T>): Promise<T | null>;
}

interface Collector {
  errors: PartError[];
  log: () => EdgeLogger | undefined;
  /** Set when a required part failed: the answer is lost, and what its other parts do no longer matters. */
  lost: boolean;
}

/** A logger, or a function making it on first use (a per-request child costs ~1.3 µs that most requests never need). */
export type LazyLogger = EdgeLogger | (() => EdgeLogger | undefined);

/** The client-facing error for anything a part threw: EdgeErrors as they are, upstream 4xx mapped, the rest INTERNAL. */
export function partFault(err: unknown): EdgeError {
  if (isEdgeError(err)) return err;
  if (err instanceof UpstreamClientError) return err.toEdgeError();
  return new EdgeError('INTERNAL', { cause: err });
}

/** Runs a required part: its value, or its mapped EdgeError thrown so the whole answer fails with that status. */
export function required<T>(part: string, fn: () => Promise<T>, log?: EdgeLogger): Promise<T> {
  return runRequired(part, fn, () => log);
}

async function runRequired<T>(part: string, fn: () => Promise<T>, log: () => EdgeLogger | undefined, collector?: Collector): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (collector) collector.lost = true;
    const fault = partFault(err);
    log()?.debug({ part, code: fault.code }, 'required part failed');
    throw fault;
  }
}

async function optional<T>(collector: Collector, part: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    const fault = partFault(err);
    // Stopped because a required part failed (aborted, or its input never came): not a fault of its own, and the
    // request's own failure is what the access line and the required part's log say.
    if (collector.lost) {
      collector.log()?.debug({ part, code: fault.code }, 'optional part stopped: a required part failed');
      return null;
    }
    collector.errors.push({ part, status: fault.status, title: fault.title });
    // Handled here, so logged here (docs/style.md › Errors: log once, where it is handled).
    collector.log()?.warn({ part, code: fault.code, detail: fault.detail, internal: fault.code === 'INTERNAL' ? err : undefined }, 'optional part failed');
    return null;
  }
}

/**
 * Starts `fn` with A's value as soon as `first` resolves, in parallel with every other branch (a dependent call).
 * If `first` was an optional part that failed (null), the dependent part fails too with `skipped`'s status.
 */
export async function dependent<A, B>(first: Promise<A | null>, fn: (value: A) => Promise<B>, skipped?: { part: string }): Promise<B> {
  const value = await first;
  if (value === null) {
    throw new EdgeError('UPSTREAM_UNAVAILABLE', { detail: skipped ? `not fetched: ${skipped.part} failed` : 'not fetched: an earlier part failed' });
  }
  return fn(value);
}

/**
 * Runs `build` (which awaits the required and optional parts it is given) and returns its body with `_errors` added
 * when any optional part failed. A required failure rejects with the mapped EdgeError.
 */
export async function composeParts<T extends object>(build: (parts: CompositionParts) => Promise<T>, options: { log?: LazyLogger } = {}): Promise<Composed<T>> {
  const given = options.log;
  let made: EdgeLogger | undefined;
  const log = typeof given === 'function' ? () => (made ??= given()) : () => given;
  const collector: Collector = { errors: [], log, lost: false };
  const body = await build({
    required: (part, fn) => runRequired(part, fn, log, collector),
    optional: (part, fn) => optional(collector, part, fn),
  });
  if (collector.errors.length === 0) return body;
  return { ...body, _errors: collector.errors };
}

/** True for a composed body that lacks some parts; such answers must not be cached (docs/edge-defaults.md › Caching). */
export function isPartial(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Array.isArray((body as { _errors?: unknown })._errors) && (body as { _errors: unknown[] })._errors.length > 0;
}
