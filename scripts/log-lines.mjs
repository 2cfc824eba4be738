/**
 * How `make dev` shows a service's output: a fixed-width coloured name, then the line. Pino JSON lines become
 * `HH:MM:SS level msg key=value…`; anything else is printed as it came.
 */

const ESC = '\u001b[';
const PALETTE = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92, 94];
const LEVEL_COLOUR = { warn: 33, error: 31, fatal: 31 };
const PINO_LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
// Stamped on every line by the service logger; the prefix already says which service it is.
const HIDDEN_KEYS = new Set(['time', 'level', 'msg', 'service', 'pid', 'hostname', 'v']);

/** Whether to colour output: a terminal, NO_COLOR unset (https://no-color.org), or FORCE_COLOR set. */
export function useColour(stream, env) {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/** Wraps `text` in an ANSI SGR colour when `on`. */
export function paint(text, code, on) {
  return on ? `${ESC}${code}m${text}${ESC}0m` : text;
}

/** The `name │ ` prefix for the service at `index`, padded to `width`. */
export function prefixFor(name, index, width, colour) {
  return `${paint(name.padEnd(width), PALETTE[index % PALETTE.length], colour)} │ `;
}

function clock(time) {
  const date = new Date(typeof time === 'number' || typeof time === 'string' ? time : Date.now());
  return Number.isNaN(date.getTime()) ? '--:--:--' : date.toTimeString().slice(0, 8);
}

function show(value) {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/**
 * One output line as display lines: a pino JSON object compacted (an error's stack follows, indented),
 * anything else unchanged. `raw` keeps JSON lines as they are.
 */
export function formatLine(line, { raw = false, colour = false } = {}) {
  if (raw || !line.startsWith('{')) return [line];
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return [line];
  }
  if (entry === null || typeof entry !== 'object' || !('level' in entry)) return [line];
  const level = typeof entry.level === 'number' ? (PINO_LEVELS[entry.level] ?? String(entry.level)) : String(entry.level);
  const fields = [];
  let stack;
  for (const [key, value] of Object.entries(entry)) {
    // Empty fields (traceId=null when tracing is off) are noise on a terminal; --raw keeps them.
    if (HIDDEN_KEYS.has(key) || value === null || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      fields.push(`err=${show(value.message ?? value.type ?? 'error')}`);
      if (typeof value.stack === 'string') stack = value.stack.split('\n').slice(1);
      continue;
    }
    fields.push(`${key}=${show(value)}`);
  }
  const head = [clock(entry.time), paint(level.padEnd(5), LEVEL_COLOUR[level] ?? 2, colour), entry.msg ?? '', ...fields];
  return [head.filter((part) => part !== '').join(' '), ...(stack ?? []).map((l) => `    ${l.trim()}`)];
}
