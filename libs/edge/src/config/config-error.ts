/** ConfigError: a configuration that cannot start the service, with one line per problem. Printing and exiting is main's job. */
import type { z } from 'zod';

/** Thrown by loadConfig and the routing-map loader; `problems` are ready to print one per line. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Turns zod issues into "where: what" lines, e.g. `JWT_AUDIENCE: expected a non-empty string`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = prefix && path ? `${prefix} › ${path}` : prefix || path || '(root)';
    return `${where}: ${issue.message}`;
  });
}

/** Recursively freezes validated config so nothing can change it after start-up. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
