/**
 * What the local-credential commands (`npm run token`, `npm run apikey`) share: option parsing with usage on
 * stderr and exit 2 for bad input, a production guard, and lifetimes like "15m". What each command prints is its own.
 */
import { parseArgs } from 'node:util';

/** Exit status for bad or missing options (as most Unix tools use). */
export const USAGE_EXIT = 2;

/** A problem with the command line: reported with the usage text and exit status 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

/**
 * Parses `argv` against `options` (node:util parseArgs, strict) and checks `required`; `--help` prints `usage` on
 * stdout and exits 0. Throws UsageError for unknown options, positionals, missing values and empty values (except `allowEmpty`).
 */
export function parseOptions(argv, { options, required = [], allowEmpty = [], usage }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(err.message.split('\n')[0]);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const values = { ...parsed.values };
  delete values.help;
  for (const name of required) {
    if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string' && value.trim() === '' && !allowEmpty.includes(name)) throw new UsageError(`--${name} must not be empty`);
  }
  return values;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a lifetime like "90s", "15m", "1h", "1d" or plain seconds ("3600") into ms; throws UsageError otherwise. */
export function parseLifetime(text, name = 'ttl') {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(String(text).trim());
  if (!match) throw new UsageError(`--${name}: expected a duration like "15m", "1h" or "3600" (seconds), got "${text}"`);
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's'];
  if (!Number.isFinite(ms) || ms < 1000) throw new UsageError(`--${name}: expected at least 1s, got "${text}"`);
  return Math.round(ms);
}

/** Splits a space- or comma-separated list ("orders:read orders:write") into its non-empty, de-duplicated items. */
export function parseList(text) {
  return [
    ...new Set(
      String(text)
        .split(/[\s,]+/)
        .filter(Boolean),
    ),
  ];
}

/** Refuses to run when NODE_ENV=production: these credentials are for local development only. */
export function refuseInProduction(command, env = process.env) {
  if (env.NODE_ENV === 'production') {
    process.stderr.write(`${command}: refusing to run with NODE_ENV=production; it issues local-development credentials only\n`);
    process.exit(1);
  }
}

/**
 * Runs a command's `main(argv)`: a UsageError prints the message and `usage` on stderr and exits 2; any other error
 * prints `<command>: <message>` and exits 1. Nothing else is written on stdout, so `$(npm run -s …)` captures only the result.
 */
export async function runCommand(command, usage, main) {
  try {
    await main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${command}: ${err.message}\n\n${usage}\n`);
      process.exitCode = USAGE_EXIT;
    } else {
      process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
