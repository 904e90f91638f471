import { isSuccess, type SentRequest } from './paced-mix.ts';

/** One fault injected into a running load: when it began, when the database was back, and until when its effects are judged. */
export interface Outage {
  fault: string;
  startedAtMs: number;
  backAtMs: number;
  /** The next fault's start, or the end of the load. */
  windowEndMs: number;
}

const statusName = (status: number) => (status === 0 ? 'none' : isSuccess(status) ? '2xx' : String(status));

/**
 * Requests sent in each second from `secondsBefore` before the fault to the window's end, by
 * status (2xx, each other status, `none` for no answer), and where Postgres was in that second.
 */
export function statusesBySecond(requests: SentRequest[], outage: Outage, secondsBefore = 2): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (let from = outage.startedAtMs - secondsBefore * 1000; from < outage.windowEndMs; from += 1000) {
    const to = from + 1000;
    const sent = requests.filter((request) => request.sentAtMs >= from && request.sentAtMs < to);
    const counts: Record<string, number> = {};
    for (const request of sent) counts[statusName(request.status)] = (counts[statusName(request.status)] ?? 0) + 1;
    const down = from < outage.backAtMs && to > outage.startedAtMs;
    const others = Object.entries(counts)
      .filter(([name]) => name !== '2xx' && name !== '503')
      .map(([name, count]) => `${name}×${count}`)
      .join(' ');
    const answered = sent.filter((request) => request.status !== 0).map((request) => request.latencyMs);
    rows.push({
      second: `${from >= outage.startedAtMs ? '+' : ''}${Math.round((from - outage.startedAtMs) / 1000)}`,
      postgres: down ? 'down' : 'up',
      sent: sent.length,
      '2xx': counts['2xx'] ?? 0,
      '503s': counts['503'] ?? 0,
      other: others || '-',
      'max ms': answered.length > 0 ? Math.round(Math.max(...answered)) : '-',
    });
  }
  return rows;
}

export interface Recovery {
  /** From Postgres being back to the last request that did not get a 2xx (0 if none did after it came back). */
  recoveryMs: number;
  /** Every request sent in the window's last second got a 2xx. */
  recovered: boolean;
}

/** How long after Postgres returned the answers were all 2xx again. */
export function recoveryOf(requests: SentRequest[], outage: Outage): Recovery {
  const inWindow = requests.filter((request) => request.sentAtMs >= outage.startedAtMs && request.sentAtMs < outage.windowEndMs);
  const lastFailure = inWindow.findLast((request) => !isSuccess(request.status));
  const lastSecond = inWindow.filter((request) => request.sentAtMs >= outage.windowEndMs - 1000);
  return {
    recoveryMs: lastFailure ? Math.max(0, Math.round(lastFailure.sentAtMs - outage.backAtMs)) : 0,
    recovered: lastSecond.length > 0 && lastSecond.every((request) => isSuccess(request.status)),
  };
}
