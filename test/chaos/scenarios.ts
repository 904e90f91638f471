import { anonymousFlood } from './anonymous-flood.ts';
import { badBytes } from './bad-bytes.ts';
import { cancelRaces } from './cancel-races.ts';
import { healthzUnderSaturation } from './healthz-under-saturation.ts';
import { heavyFlood } from './heavy-flood.ts';
import { ledgerKill, ledgerPostgres } from './ledger-kill.ts';
import { postgresRestart } from './postgres-restart.ts';
import type { Scenario } from './stage.ts';
import { twoProcessLimits } from './two-process-limits.ts';

/** Every scenario of the fault-injection suite, in the order `npm run chaos` runs them (the list). */
export const scenarios: Scenario[] = [badBytes, postgresRestart, anonymousFlood, heavyFlood, healthzUnderSaturation, cancelRaces, twoProcessLimits, ledgerKill, ledgerPostgres];
