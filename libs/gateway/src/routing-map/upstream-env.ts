/**
 * Which environment variables a routing map reads (`${ORDER_SERVICE_URL}`) and which upstream pools they need, worked
 * out once at start-up so loadConfig stays the only reader of the environment. Creating the pools is createUpstreams'.
 */
import { readFileSync } from 'node:fs';

const REFERENCE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/** The `${VAR}` names a routing-map file mentions, in first-use order; an unreadable file yields none (the loader reports it). */
export function referencedVariables(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1] as string))];
}

/** The upstream name for a variable: `ORDER_SERVICE_URL` → `order`, `LEGACY_API_URL` → `legacy-api`. */
export function upstreamNameFor(variable: string): string {
  return variable
    .replace(/_URL$/, '')
    .replace(/_SERVICE$/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

/**
 * One `{ url }` per upstream: the named ones (`{ order: 'ORDER_SERVICE_URL' }`) first, then one per other variable
 * the routing map uses, skipping unset variables (the loader reports them by route) and origins already covered.
 */
export function upstreamDefinitions(
  named: Readonly<Record<string, string>>,
  mapVariables: readonly string[],
  values: Readonly<Record<string, string | undefined>>,
): Record<string, { url: string }> {
  const defs: Record<string, { url: string }> = {};
  const origins = new Set<string>();
  const add = (name: string, variable: string): void => {
    const url = values[variable];
    if (!url || defs[name]) return;
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return;
    }
    if (origins.has(origin)) return;
    origins.add(origin);
    defs[name] = { url };
  };
  for (const [name, variable] of Object.entries(named)) add(name, variable);
  for (const variable of mapVariables) add(upstreamNameFor(variable), variable);
  return defs;
}
