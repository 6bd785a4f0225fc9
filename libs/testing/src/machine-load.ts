import { readdirSync, readFileSync } from 'node:fs';

/** The machine's CPU time so far, in clock ticks, from the first line of Linux's /proc/stat. */
export interface CpuTimes {
  readonly busy: number;
  readonly idle: number;
  /** Time the hypervisor ran something else while this machine wanted to run. */
  readonly steal: number;
}

/** How the machine's CPU time was spent between two samples, in percent of all of it. */
export interface CpuShare {
  readonly busyPercent: number;
  readonly idlePercent: number;
  readonly stealPercent: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat: user, nice, system, idle, iowait, irq, softirq,
 * steal (guest time is already counted in user and nice).
 */
export function parseCpuLine(line: string): CpuTimes {
  const [label, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.slice(0, 8).map(Number);
  if (label !== 'cpu' || ticks.length < 8 || ticks.some((value) => !Number.isFinite(value))) {
    throw new Error(`Not the aggregate cpu line of /proc/stat: "${line}"`);
  }
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** The machine's CPU times now, or undefined where there is no /proc/stat (not Linux). */
export function cpuTimes(path = '/proc/stat'): CpuTimes | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseCpuLine(text.slice(0, text.indexOf('\n')));
}

/**
 * The share of busy, idle and stolen time between two samples. Benchmarks report it with their
 * figures: on a shared virtual machine, time stolen by the hypervisor slows every process and
 * makes runs differ.
 */
export function cpuShare(before: CpuTimes | undefined, after: CpuTimes | undefined): CpuShare | undefined {
  if (before === undefined || after === undefined) {
    return undefined;
  }
  const busy = after.busy - before.busy;
  const idle = after.idle - before.idle;
  const steal = after.steal - before.steal;
  const total = busy + idle + steal;
  if (total <= 0) {
    return { busyPercent: 0, idlePercent: 0, stealPercent: 0 };
  }
  const percent = (value: number) => Number(((100 * value) / total).toFixed(1));
  return { busyPercent: percent(busy), idlePercent: percent(idle), stealPercent: percent(steal) };
}

/** Starts a phase: what it returns gives how the machine's CPU time went since (see `cpuShare`). */
export function cpuShareSince(path = '/proc/stat'): () => CpuShare | undefined {
  const before = cpuTimes(path);
  return () => cpuShare(before, cpuTimes(path));
}

/**
 * CPU seconds a process has used (user and system), from /proc/<pid>/stat; undefined when the
 * process is gone or there is no /proc.
 */
export function processCpuSeconds(pid: number, ticksPerSecond = 100): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at
  // the state (field 3), so utime and stime (fields 14 and 15) are at 11 and 12.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The ids of the processes whose command name (`/proc/<pid>/comm`) is `name`. */
export function pidsNamed(name: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}
