import { readFileSync } from 'node:fs';
import {
  cpuShare,
  cpuShareSince,
  cpuTimes,
  parseCpuLine,
  pidsNamed,
  processCpuSeconds,
  type CpuShare,
} from './machine-load.js';

const onLinux = process.platform === 'linux';

describe('machine load', () => {
  it('reads busy, idle and stolen ticks from the aggregate cpu line', () => {
    expect(parseCpuLine('cpu  191100 7 29622 378439 4850 3 5092 149783 0 0')).toEqual({
      busy: 191100 + 7 + 29622 + 3 + 5092,
      idle: 378439 + 4850,
      steal: 149783,
    });
  });

  it('refuses a line that is not the aggregate one', () => {
    expect(() => parseCpuLine('cpu0 1 2 3 4 5 6 7 8')).toThrow('Not the aggregate cpu line');
    expect(() => parseCpuLine('cpu 1 2 3')).toThrow('Not the aggregate cpu line');
    expect(() => parseCpuLine('cpu 1 2 3 x 5 6 7 8')).toThrow('Not the aggregate cpu line');
  });

  it('gives the shares of busy, idle and stolen time between two samples', () => {
    const before = { busy: 100, idle: 100, steal: 0 };
    expect(cpuShare(before, { busy: 160, idle: 120, steal: 20 })).toEqual({
      busyPercent: 60,
      idlePercent: 20,
      stealPercent: 20,
    });
    expect(cpuShare(before, before)).toEqual({ busyPercent: 0, idlePercent: 0, stealPercent: 0 });
    expect(cpuShare(undefined, before)).toBeUndefined();
    expect(cpuShare(before, undefined)).toBeUndefined();
  });

  it('samples the machine where /proc/stat exists, and nothing elsewhere', () => {
    expect(cpuTimes('/no/such/stat')).toBeUndefined();
    expect(cpuShareSince('/no/such/stat')()).toBeUndefined();
    if (onLinux) {
      const phase = cpuShareSince();
      for (const until = Date.now() + 100; Date.now() < until;) {
        // A tenth of a second passes: some ticks to share out.
      }
      const share = phase() as CpuShare;
      expect(share.busyPercent + share.idlePercent + share.stealPercent).toBeCloseTo(100, 0);
    }
    if (onLinux) {
      const first = cpuTimes() as NonNullable<ReturnType<typeof cpuTimes>>;
      expect(first.busy + first.idle).toBeGreaterThan(0);
      const later = cpuTimes() as NonNullable<ReturnType<typeof cpuTimes>>;
      expect(later.busy + later.idle + later.steal).toBeGreaterThanOrEqual(
        first.busy + first.idle + first.steal,
      );
    }
  });

  it('measures the CPU time a process used and finds processes by name', () => {
    expect(processCpuSeconds(2 ** 22 + 1)).toBeUndefined();
    if (!onLinux) {
      return;
    }
    const before = processCpuSeconds(process.pid) as number;
    const until = Date.now() + 200;
    let spin = 0;
    while (Date.now() < until) {
      spin += 1;
    }
    expect(spin).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(before);
    const name = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(pidsNamed(name)).toContain(process.pid);
    expect(pidsNamed('no-such-command-here')).toEqual([]);
  });
});
