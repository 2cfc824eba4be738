/** Test helper: an EdgeLogger that records every line so tests can count log lines per level and message. */
import type { EdgeLogger } from '../../src/state';

/** One recorded log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** An EdgeLogger whose lines land in `lines`; children share the same list. */
export function recordingLogger(): EdgeLogger & { lines: LogLine[]; count(level: LogLine['level'], msg: string | RegExp): number } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger = {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
    count: (level: LogLine['level'], msg: string | RegExp) => lines.filter((l) => l.level === level && (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg ?? ''))).length,
  };
  return logger;
}
