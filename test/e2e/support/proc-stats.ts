/**
 * What a running service costs, read from Linux /proc by pid: resident memory (VmRSS, VmHWM), open file descriptors
 * (sockets included) and CPU time; and its event-loop lag from its own /metrics (prom-client's default metrics).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';

/** Memory of a process, MiB. */
export interface MemoryStats {
  rssMiB: number;
  /** Peak RSS since start (VmHWM). */
  peakMiB: number;
}

/** VmRSS and VmHWM of `pid`, MiB. */
export function memoryOf(pid: number): MemoryStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 102.4) / 10, peakMiB: Math.round(kib('VmHWM') / 102.4) / 10 };
}

/** How many file descriptors `pid` holds open (every TCP socket is one). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** CPU seconds (user + system) `pid` has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Event-loop lag of a Portico service, from prom-client's default metrics (ms). */
export interface EventLoopLag {
  /** Highest delay seen since the previous scrape (the histogram resets on every scrape). */
  maxMs: number;
  p99Ms: number;
}

/** Scrapes `<base>/metrics`; each scrape resets the lag histogram, so scrape once before a phase and once after it. */
export async function eventLoopLag(base: string): Promise<EventLoopLag> {
  const res = await request(`${base}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${base}/metrics answered ${res.statusCode}`);
  const value = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
    if (!m) throw new Error(`${base}/metrics has no ${name}`);
    return Math.round(Number(m[1]) * 10_000) / 10;
  };
  return { maxMs: value('nodejs_eventloop_lag_max_seconds'), p99Ms: value('nodejs_eventloop_lag_p99_seconds') };
}
