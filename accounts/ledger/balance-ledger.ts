import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { listOtherHolders, reclaimIfDead, recordCharges, returnLease, takeLease } from '../../schema/db/queries/balance-leases.ts';
import type { UsageInput } from '../../schema/db/queries/ledger.ts';
import type { Database } from '../../schema/db/types.ts';
import { LeaseHolder } from './lease-holder.ts';
import { UsageBatch } from './usage-batch.ts';
import { formatAmount, parseAmount, type Amount } from '../../schema/db/amount.ts';
import type { DatabaseReachability } from '../../schema/db/reachability.ts';
import { DatabaseUnavailableError } from '../../schema/db/unavailable.ts';

export interface LedgerOptions {
  db: Kysely<Database>;
  /** Where the lease lock connects, and where failures because the database is away are reported. */
  reachability: DatabaseReachability;
  logger: Logger;
  /** Share of the project's unleased balance one top-up takes. */
  leaseFraction: number;
  /** How long after a failed write (the database away) the next one is tried. */
  flushIntervalMs: number;
  /** A lease unused this long gives its unreserved part back. */
  idleReturnMs: number;
  /** How often leases of dead processes are looked for. */
  reclaimIntervalMs: number;
}

/** How long an answer waits for its usage record to be written before it gives up (a 503). */
export const recordWaitMs = 10_000;

/** A call's reserved cost, held until it settles. */
export interface Reservation {
  /**
   * Settles to `usage.charged`: what it did not use returns to the slice, an overshoot is taken
   * from it (below zero if need be). Resolves to true once the charge and its usage record are
   * written, or to false after `recordWaitMs` without (they are still written when Postgres allows).
   */
  settle(usage: UsageInput): Promise<boolean>;
}

/** The project could not cover the call: what it had, as far as this process can see. */
export class InsufficientBalance extends Error {
  readonly balance: string;
  constructor(balance: Amount) {
    super('insufficient balance');
    this.balance = formatAmount(balance);
  }
}

/** This process's slice of one project's balance. */
interface ProjectLease {
  id: string;
  projectId: string;
  /** Taken from Postgres and neither reserved nor spent here. */
  available: Amount;
  /** Reservations not yet settled, and charges settled but not yet written. */
  outstanding: number;
  unwritten: number;
  /** Half the last top-up: below it, the next one starts ahead of need. */
  lowWater: Amount;
  lastUsedAt: number;
  /** The unleased balance seen at the last top-up. */
  unleasedSeen: Amount;
  topUp: Promise<boolean> | undefined;
  /** After a top-up found nothing, none ahead of need until then. */
  quietUntil: number;
}

/** One call's reserved cost in this process's slice; settling returns what it did not use. */
class LeaseReservation implements Reservation {
  readonly #lease: ProjectLease;
  readonly #amount: Amount;
  readonly #settleInto: (usage: UsageInput, lease: ProjectLease) => Promise<boolean>;
  #written: Promise<boolean> | undefined;

  constructor(lease: ProjectLease, amount: Amount, settleInto: (usage: UsageInput, lease: ProjectLease) => Promise<boolean>) {
    this.#lease = lease;
    this.#amount = amount;
    this.#settleInto = settleInto;
  }

  settle(usage: UsageInput): Promise<boolean> {
    if (this.#written) return this.#written;
    const lease = this.#lease;
    lease.outstanding--;
    lease.unwritten++;
    lease.available += this.#amount - usage.charged;
    this.#written = this.#settleInto(usage, lease);
    return this.#written;
  }
}

/**
 * The token ledger's hot path in memory, its guarantees kept in Postgres. Each process takes
 * slices of a project's balance (leases) in single atomic statements, reserves each call's
 * maximum cost from its slice without a round trip, tops the slice up before it runs out, and
 * writes settled charges and usage records by group commit: the calls settled while one write
 * runs go together in the next, and each call's answer waits for the write holding its record.
 * Money moves only between the unleased balance and leases, so no process can spend what another
 * holds: beyond a call's own overshoot, there is no overspend at any concurrency or across replicas. A lease goes back when idle and on shutdown; a crashed
 * process's leases are reclaimed by the next process that looks (its advisory lock is gone).
 */
export class BalanceLedger {
  readonly #options: LedgerOptions;
  readonly #holder: LeaseHolder;
  readonly #leases = new Map<string, ProjectLease>();
  #pending = new UsageBatch<ProjectLease>();
  /** The batch being written, while it is. */
  #writing: UsageBatch<ProjectLease> | undefined;
  #flushing: Promise<void> | undefined;
  #writeScheduled = false;
  /** After a failed write, none is started for a new call before this (the interval's tick retries). */
  #retryAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #reclaimTimer: NodeJS.Timeout | undefined;
  #lastReclaimAt = 0;
  /** This process lost its identity (the lock's connection): its old leases await reclaiming, by itself if need be. */
  #ownLeasesToReclaim = false;

  constructor(options: LedgerOptions) {
    this.#options = options;
    this.#holder = new LeaseHolder({
      reachability: options.reachability,
      logger: options.logger,
      // The old identity's leases may be reclaimed at any moment: stop spending them, and reclaim
      // them here as soon as a call needs their money (the lock went with the connection).
      onLost: () => {
        this.#leases.clear();
        this.#ownLeasesToReclaim = true;
      },
    });
  }

  async start(): Promise<void> {
    await this.#holder.start();
    await this.reclaimDeadLeases();
    this.#timer = setInterval(() => this.#tick(), this.#options.flushIntervalMs);
    this.#timer.unref();
    this.#reclaimTimer = setInterval(() => {
      this.reclaimDeadLeases().catch((error: unknown) => this.#warn(error, 'reclaiming dead balance leases failed'));
    }, this.#options.reclaimIntervalMs);
    this.#reclaimTimer.unref();
  }

  /** Reserves `amount` for a call, or throws InsufficientBalance. No round trip while the slice covers it. */
  async reserve(projectId: string, amount: Amount): Promise<Reservation> {
    let reclaimed = false;
    for (;;) {
      const lease = this.#leaseOf(projectId);
      if (lease.available >= amount) return this.#take(lease, amount);
      if (await this.#topUp(lease, amount - lease.available)) continue;
      // Money may sit in leases of a process that died (or of this one's lost identity): look
      // before refusing, at most once a second unless this process lost its identity since, so a
      // project out of tokens costs no extra queries per refused call.
      if (!reclaimed && (this.#ownLeasesToReclaim || Date.now() - this.#lastReclaimAt >= 1000) && (await this.reclaimDeadLeases()) > 0) {
        reclaimed = true;
        continue;
      }
      throw new InsufficientBalance(lease.available + lease.unleasedSeen);
    }
  }

  /** `reserve` without waiting, when this process's slice covers the amount (the usual case); undefined means `reserve`. */
  tryReserve(projectId: string, amount: Amount): Reservation | undefined {
    const lease = this.#leases.get(projectId);
    return lease && lease.available >= amount ? this.#take(lease, amount) : undefined;
  }

  /** Records a call that reserved nothing (it costs nothing); resolves as `Reservation.settle` does. */
  record(usage: UsageInput): Promise<boolean> {
    return this.#enqueue(usage, undefined);
  }

  #leaseOf(projectId: string): ProjectLease {
    let lease = this.#leases.get(projectId);
    if (!lease) {
      lease = { id: randomUUID(), projectId, available: 0n, outstanding: 0, unwritten: 0, lowWater: 0n, lastUsedAt: Date.now(), unleasedSeen: 0n, topUp: undefined, quietUntil: 0 };
      this.#leases.set(projectId, lease);
    }
    return lease;
  }

  #take(lease: ProjectLease, amount: Amount): Reservation {
    lease.available -= amount;
    lease.outstanding++;
    const now = Date.now();
    lease.lastUsedAt = now;
    if (!lease.topUp && lease.available < lease.lowWater && now >= lease.quietUntil) {
      this.#topUp(lease, 0n).catch((error: unknown) => this.#warn(error, 'balance lease top-up failed'));
    }
    return new LeaseReservation(lease, amount, this.#settleInto);
  }

  /** Where reservations put their settled calls (one function for all of them). */
  readonly #settleInto = (usage: UsageInput, lease: ProjectLease) => this.#enqueue(usage, lease);

  /**
   * Takes a further slice, at least `deficit`. One top-up per project at a time: a caller that
   * finds one running waits for it and looks again. False when nothing could be taken.
   */
  async #topUp(lease: ProjectLease, deficit: Amount): Promise<boolean> {
    if (lease.topUp) {
      await lease.topUp.catch(() => {});
      return true;
    }
    // The lease lock went with the database: a 503 with Retry-After, like any call that needs it.
    if (!this.#holder.ready) throw new DatabaseUnavailableError('the balance-lease lock is being taken again');
    const holder = this.#holder.id;
    lease.topUp = takeLease(this.#options.db, {
      id: lease.id,
      projectId: lease.projectId,
      holder,
      fraction: this.#options.leaseFraction,
      atLeast: formatAmount(deficit),
    })
      .then(({ taken, unleasedBefore }) => {
        const amount = parseAmount(taken);
        lease.unleasedSeen = parseAmount(unleasedBefore) - amount;
        if (amount <= 0n) {
          lease.quietUntil = Date.now() + 1000;
          return false;
        }
        // A lease dropped meanwhile (identity lost) is no longer spent here; the money was
        // taken under the old identity and goes back when that lease is reclaimed.
        if (this.#leases.get(lease.projectId) === lease && holder === this.#holder.id) {
          lease.available += amount;
          lease.lowWater = amount / 2n;
        }
        return true;
      })
      .finally(() => (lease.topUp = undefined));
    return lease.topUp;
  }

  #enqueue(usage: UsageInput, lease: ProjectLease | undefined): Promise<boolean> {
    this.#pending.add(usage, lease ? lease.id : null, lease);
    const written = this.#pending.whenWritten();
    // Group commit: the calls settled in this turn of the event loop go in one write; while a
    // write runs, calls queue and the write starts the next batch when it ends.
    if (!this.#flushing && !this.#writeScheduled && Date.now() >= this.#retryAt) {
      this.#writeScheduled = true;
      setImmediate(() => {
        this.#writeScheduled = false;
        void this.flush();
      });
    }
    return written;
  }

  /** Writes every settled charge so far; one write at a time, failed batches kept for the next. Never rejects. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.calls === 0) return;
    const batch = this.#pending;
    this.#pending = new UsageBatch();
    this.#writing = batch;
    let written = false;
    this.#flushing = recordCharges(this.#options.db, batch.groups())
      .then(() => {
        written = true;
        for (const group of batch.groups()) if (group.lease) group.lease.unwritten -= group.calls.length;
        batch.markWritten();
      })
      .catch((error: unknown) => {
        this.#retryAt = Date.now() + this.#options.flushIntervalMs;
        // While the database is away the batch waits for it, reported once as its outage.
        if (!this.#options.reachability.report(error, 'ledger')) this.#options.logger.error({ err: error, charges: batch.calls }, 'writing charges failed; kept for the next write');
        this.#pending = batch.absorb(this.#pending);
      })
      .finally(() => {
        this.#flushing = undefined;
        this.#writing = undefined;
      });
    await this.#flushing;
    // What queued during the write goes now (after a failure, at the next tick).
    if (written && this.#pending.calls > 0 && !this.#flushing) void this.flush();
  }

  #tick(): void {
    // Answers that have waited too long for their records stop waiting (a 503); the records stay queued.
    const cutoff = performance.now() - recordWaitMs;
    this.#writing?.stopWaitingSince(cutoff);
    this.#pending.stopWaitingSince(cutoff);
    void this.flush().then(() => this.#returnIdle());
    // Back after losing its identity: the old identity's leases come home without waiting for a call to need them.
    if (this.#ownLeasesToReclaim && this.#holder.ready) this.reclaimDeadLeases().catch((error: unknown) => this.#warn(error, 'reclaiming dead balance leases failed'));
  }

  /** Idle leases give back what they do not hold for a call; fully idle ones close. */
  async #returnIdle(): Promise<void> {
    const idleSince = Date.now() - this.#options.idleReturnMs;
    for (const lease of this.#leases.values()) {
      if (lease.lastUsedAt > idleSince || lease.topUp) continue;
      await this.#giveBack(lease).catch((error: unknown) => this.#warn(error, 'returning an idle balance lease failed'));
    }
  }

  async #giveBack(lease: ProjectLease): Promise<void> {
    const amount = lease.available;
    // Closing needs every charge written first: the lease's unspent part is then exactly this.
    const close = lease.outstanding === 0 && lease.unwritten === 0;
    if (amount <= 0n && !close) return;
    lease.available = 0n;
    if (close) this.#leases.delete(lease.projectId);
    try {
      await returnLease(this.#options.db, { id: lease.id, amount: formatAmount(amount), close });
    } catch (error) {
      if (!close) lease.available += amount;
      // A failed close leaves the lease open in Postgres: reclaimed after this process stops.
      throw error;
    }
  }

  /** A background step failed: logged, unless the database is away (its outage is logged once). */
  #warn(error: unknown, message: string): void {
    if (!this.#options.reachability.report(error, 'ledger')) this.#options.logger.warn({ err: error }, message);
  }

  /** Reclaims leases of processes that are gone; the number reclaimed. */
  async reclaimDeadLeases(): Promise<number> {
    this.#lastReclaimAt = Date.now();
    const ownLost = this.#ownLeasesToReclaim;
    let reclaimed = 0;
    for (const holder of await listOtherHolders(this.#options.db, this.#holder.id)) {
      reclaimed += await reclaimIfDead(this.#options.db, holder);
    }
    // Looked after the loss under the new identity: the old one's leases are back (or still locked
    // by a connection Postgres has not yet dropped, and the periodic look finds them later).
    if (ownLost && this.#holder.ready) this.#ownLeasesToReclaim = false;
    return reclaimed;
  }

  /** After the last call settled: write every charge, give every lease back, drop the lock. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#reclaimTimer);
    await this.flush();
    // Said even while the database is away: these answered calls go unbilled.
    if (this.#pending.calls > 0) this.#options.logger.error({ charges: this.#pending.calls }, 'charges could not be written before shutdown');
    // No tick is left to end their wait: answers still waiting for a record stop now (503).
    this.#pending.stopWaitingSince(Infinity);
    for (const lease of [...this.#leases.values()]) {
      await lease.topUp?.catch(() => {});
      await this.#giveBack(lease).catch((error: unknown) => this.#warn(error, 'returning a balance lease at shutdown failed'));
    }
    await this.#holder.close();
  }
}
