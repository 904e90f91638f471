import { readFile } from 'node:fs/promises';

async function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

/** Resident memory of a process, from /proc (threads included), in MiB. */
export const residentMiB = (pid: number) => statusField(pid, 'VmRSS');

/** The most resident memory the process has held since it started (the kernel's high-water mark), in MiB. */
export const peakResidentMiB = (pid: number) => statusField(pid, 'VmHWM');
