/**
 * What a process has cost so far, read from /proc: CPU seconds (utime + stime of
 * /proc/<pid>/stat) and peak resident memory (VmHWM of /proc/<pid>/status). The peak can be
 * reset (`clear_refs` 5, root only) so each measured run gets its own peak.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticks: number | undefined;

/** Kernel clock ticks per second (USER_HZ), the unit of utime and stime. */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime in seconds from the text of a /proc/<pid>/stat file. */
export function cpuSecondsFromStat(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

/** A `VmHWM:   12345 kB` line (or a whole status file) as kB. */
export function hwmKbFromStatus(status: string): number {
  const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

function read(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A `VmRSS:   12345 kB` line (or a whole status file) as kB: resident memory now. */
export function rssKbFromStatus(status: string): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

export interface ProcSample {
  readonly cpuSeconds: number;
  readonly hwmKb: number;
  readonly rssKb: number;
}

/** CPU seconds, peak and current RSS of a live process, or undefined when it is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  const stat = read(pid, 'stat');
  const status = read(pid, 'status');
  if (stat === undefined || status === undefined) return undefined;
  return { cpuSeconds: cpuSecondsFromStat(stat), hwmKb: hwmKbFromStatus(status), rssKb: rssKbFromStatus(status) };
}

/** Starts a new peak-RSS window for the process (VmHWM := current RSS). */
export function resetPeakRss(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not root, or gone: the peak then covers the process's whole life */
  }
}

/** Direct children of a process (of all its threads). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const task of tasks) {
    for (const c of (read(pid, `task/${task}/children`) ?? '').trim().split(/\s+/)) if (c) children.push(Number(c));
  }
  return children;
}

/** The process and all its descendants. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childPids(all[i]!));
  return all;
}

/** Pids whose command line contains every needle. */
export function findProcesses(...needles: string[]): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(Number(entry), 'cmdline');
    if (cmdline && needles.every((n) => cmdline.includes(n))) found.push(Number(entry));
  }
  return found;
}

/** Busy and total CPU time of the whole machine so far (seconds, all cores). */
export function machineCpu(): { busy: number; total: number } {
  const line = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
}
