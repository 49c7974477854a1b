// The progress of one applied plan at a time, as its jobs stream it, and what Onramp does on
// start with plans an earlier session left: watch one still running, resume one interrupted
// when the app closed, and open a finished one on Done.
import { useCallback, useEffect, useRef, useState } from 'react';

import { asAppError, type AppError, type Backend, type PlanProgress, type ProgressListener } from './backend';

/** Starts or joins a job of `planId` and follows its progress; rejects with the refusal. */
export type Follow = (planId: string, start: (listener: ProgressListener) => Promise<PlanProgress>) => Promise<void>;

export interface ProgressModel {
  progress: PlanProgress | null;
  /** Why Onramp is already working on the plan shown (it resumed it on start). */
  notice: string | null;
  /** A failure of what Onramp did on start, if any. */
  startError: AppError | null;
  follow: Follow;
  /** Forgets the plan shown, when a new plan starts. */
  clear(): void;
}

/** Outcomes worth showing on start; an interrupted plan is resumed instead. */
const SETTLED = ['Succeeded', 'Failed', 'Cancelled', 'TeardownIncomplete'];

/** `onFound` hears of a plan from an earlier session the user should see at once. */
export function useProgress(
  backend: Backend,
  accountKey: string | null,
  onFound: (progress: PlanProgress) => void,
): ProgressModel {
  const [progress, setProgress] = useState<PlanProgress | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [startError, setStartError] = useState<AppError | null>(null);
  const watching = useRef<string | null>(null);
  const found = useRef(onFound);
  found.current = onFound;

  // Snapshots of any plan but the one shown are ignored.
  const listen = useCallback((next: PlanProgress) => {
    if (next.planId === watching.current) setProgress(next);
  }, []);

  const follow: Follow = useCallback(
    async (planId, start) => {
      const before = watching.current;
      watching.current = planId;
      let heard = false;
      try {
        const first = await start((next) => {
          heard = true;
          listen(next);
        });
        // The channel may already have sent newer news than this first answer.
        if (!heard) listen(first);
        // What was said was about the plan shown before, or about its last run.
        setNotice(null);
        setStartError(null);
      } catch (error) {
        if (!heard) watching.current = before;
        throw error;
      }
    },
    [listen],
  );

  const clear = useCallback(() => {
    watching.current = null;
    setProgress(null);
    setNotice(null);
    setStartError(null);
  }, []);

  useEffect(() => {
    // Plans belong to an account: another account's progress is not shown.
    clear();
    if (!accountKey) return;
    let gone = false;
    (async () => {
      let plans: PlanProgress[];
      try {
        plans = await backend.listPlans();
      } catch (error) {
        if (!gone) setStartError(asAppError(error));
        return;
      }
      if (gone) return;
      const running = plans.find((p) => p.activity !== 'Idle');
      const interrupted = plans.find((p) => p.activity === 'Idle' && p.outcome === 'Interrupted');
      const settled = plans.find((p) => p.outcome && SETTLED.includes(p.outcome));
      const chosen = running ?? interrupted ?? settled;
      if (!chosen) return;
      watching.current = chosen.planId;
      setProgress(chosen);
      // A finished plan opens on Done; anything else needs the user in Provision.
      found.current(chosen);
      try {
        if (chosen === running) {
          await follow(chosen.planId, (l) => backend.watchPlan(chosen.planId, l));
        } else if (chosen === interrupted) {
          await follow(chosen.planId, (l) => backend.resumePlan(chosen.planId, false, l));
          if (!gone) setNotice(`Onramp resumed '${chosen.planName}', which was interrupted when the app closed.`);
        }
      } catch (error) {
        if (gone) return;
        setNotice(null);
        setStartError(asAppError(error));
      }
    })();
    return () => {
      gone = true;
    };
  }, [backend, accountKey, follow, clear]);

  return { progress, notice, startError, follow, clear };
}
