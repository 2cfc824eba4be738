/**
 * Cost figures from /proc for a process and its children: CPU time (utime+stime) and memory (VmRSS, VmHWM), plus the
 * share of each core stolen by the hypervisor during a run (BENCHMARKING.md: repeat a run that lost more than ~5%).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function childrenOf(pid: number): number[] {
  try {
    const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return list ? list.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** The pid and all its descendants (nginx's master and worker). */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/** utime+stime in µs of `pid` and its live descendants (stat fields 14 and 15, counted after the command name). */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // fields[0] is field 3 (state)
    } catch {
      // the process exited between listing and reading
    }
  }
  return (ticks * 1_000_000) / ticksPerSecond();
}

/** Resident memory in MiB: current (VmRSS) and peak (VmHWM), summed over the process tree. */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  let rss = 0;
  let hwm = 0;
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return { rss: rss / 1024, hwm: hwm / 1024 };
}

/** Per-core jiffy counters from /proc/stat (total and steal). */
export type CoreTimes = Record<string, { total: number; steal: number }>;

/** Reads /proc/stat's per-core lines. */
export function coreTimes(): CoreTimes {
  const times: CoreTimes = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!match?.[1] || !match[2]) continue;
    const values = match[2].split(/\s+/).map(Number);
    times[match[1]] = { total: values.slice(0, 8).reduce((a, b) => a + b, 0), steal: values[7] ?? 0 };
  }
  return times;
}

/** The largest per-core steal share, in percent, between two readings. */
export function maxStealPercent(before: CoreTimes, after: CoreTimes): number {
  let worst = 0;
  for (const [core, end] of Object.entries(after)) {
    const start = before[core];
    if (!start || end.total === start.total) continue;
    worst = Math.max(worst, (100 * (end.steal - start.steal)) / (end.total - start.total));
  }
  return worst;
}
