/**
 * Portico's times on the gRPC wire (proto/README.md: int64 epoch milliseconds named `…_unix_ms`, a decimal string in
 * JSON) turned back into the REST APIs' ISO 8601 strings, for answers whose contract was REST-shaped before the backend spoke gRPC.
 */

const SUFFIX = /^(.+)UnixMs$/;
const DECIMAL = /^-?\d{1,16}$/;
// ECMAScript dates span ±8.64e15 ms around the epoch (ECMA-262 §21.4.1.1); beyond that there is no ISO text.
const MAX_MS = 8.64e15;

/** ISO 8601 text of epoch milliseconds given as a decimal string or a number (`"1893499200000"` → `2030-01-01T12:00:00.000Z`); null for anything else. */
export function isoTime(unixMs: unknown): string | null {
  const ms = typeof unixMs === 'number' ? unixMs : typeof unixMs === 'string' && DECIMAL.test(unixMs) ? Number(unixMs) : NaN;
  if (!Number.isInteger(ms) || Math.abs(ms) > MAX_MS) return null;
  return new Date(ms).toISOString();
}

/**
 * A copy of a message (PROTO_LOADER_OPTIONS convention) in which every `…UnixMs` field, at any depth, becomes the
 * ISO 8601 field without the suffix, in the same place (`etaUnixMs: "1893501000000"` → `eta: "2030-01-01T12:30:00.000Z"`).
 */
export function isoTimes(message: unknown): unknown {
  if (Array.isArray(message)) return message.map(isoTimes);
  if (typeof message !== 'object' || message === null) return message;
  return Object.fromEntries(
    Object.entries(message).map(([key, value]) => {
      const time = SUFFIX.exec(key)?.[1];
      return time !== undefined && (typeof value === 'string' || typeof value === 'number') ? [time, isoTime(value)] : [key, isoTimes(value)];
    }),
  );
}
