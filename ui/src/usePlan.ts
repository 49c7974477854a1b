// The draft plan as the wizard holds it: loaded once signed in (the saved draft, else a new
// plan), checked by the back end on every change, and saved a moment after the last change.
// Problems come from three places, all shown at their field: the back end's rules, what only
// the cloud knows (Review and apply), and input the window cannot even send (a storage of "abc").
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { asAppError, type AppError, type Backend, type DraftPlan, type Offerings, type Problem } from './backend';
import { fieldsOfPatch, messagesByField } from './plan';

/** How long the draft waits for typing to pause before it is written. */
export const SAVE_DELAY_MS = 300;

export interface PlanModel {
  offerings: Offerings | null;
  plan: DraftPlan | null;
  loading: boolean;
  loadError: AppError | null;
  /** The back end has answered at least once for this plan, so `problems` can be trusted. */
  checked: boolean;
  checkError: AppError | null;
  saveError: AppError | null;
  /** Every open problem, whether or not it is shown yet. */
  problems: Problem[];
  /** The messages to show at each field: a field's problems show once the user touched it. */
  shown: Record<string, string>;
  update(patch: Partial<DraftPlan>): void;
  /** Starts over with another plan (after a teardown). */
  replace(plan: DraftPlan): void;
  reveal(fields: string[]): void;
  /** A problem the window found itself, e.g. a storage that is not a number; null clears it. */
  setLocalProblem(field: string, message: string | null): void;
  /** Problems only the cloud knows (Review, a refused apply), kept until their field changes. */
  addCloudProblems(problems: Problem[]): void;
  reload(): void;
}

/** `plan` with a resource group of `offerings`' account: its own if there, else the default. */
export function inAccount(plan: DraftPlan, offerings: Offerings): DraftPlan {
  const groups = offerings.resourceGroups;
  if (groups.length === 0 || groups.some((g) => g.id === plan.resourceGroupId)) return plan;
  const fallback = groups.find((g) => g.isDefault) ?? groups[0];
  return { ...plan, resourceGroupId: fallback.id };
}

export function usePlan(backend: Backend, accountKey: string | null): PlanModel {
  const [offerings, setOfferings] = useState<Offerings | null>(null);
  const [plan, setPlan] = useState<DraftPlan | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<AppError | null>(null);
  const [validated, setValidated] = useState<{ planId: string; problems: Problem[] } | null>(null);
  const [checkError, setCheckError] = useState<AppError | null>(null);
  const [saveError, setSaveError] = useState<AppError | null>(null);
  const [cloud, setCloud] = useState<Problem[]>([]);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [revealed, setRevealed] = useState<Set<string> | 'all'>(() => new Set());
  const [attempt, setAttempt] = useState(0);

  const current = useRef<DraftPlan | null>(null);
  current.current = plan;
  const saved = useRef<DraftPlan | null>(null);
  const sequence = useRef(0);

  // Load once per account: the offerings differ between accounts, the draft does not.
  useEffect(() => {
    if (!accountKey) {
      setOfferings(null);
      return;
    }
    let gone = false;
    setLoading(true);
    setLoadError(null);
    (async () => {
      try {
        const found = await backend.planOfferings(attempt > 0);
        let draft = current.current;
        let fromDisk = false;
        if (!draft) {
          const stored = await backend.loadDraft();
          fromDisk = stored !== null;
          draft = stored ?? (await backend.newPlan());
        }
        if (gone) return;
        setOfferings(found);
        if (!current.current) {
          saved.current = draft;
          setPlan(draft);
          // A draft from an earlier session was edited then: show its problems at once.
          if (fromDisk) setRevealed('all');
        }
        // Another account (Sandbox → IBM Cloud, say) has other resource groups: a group of the
        // old one is replaced by the new account's default rather than shown as an error.
        setPlan((prev) => (prev ? inAccount(prev, found) : prev));
      } catch (error) {
        if (!gone) setLoadError(asAppError(error));
      } finally {
        if (!gone) setLoading(false);
      }
    })();
    return () => {
      gone = true;
    };
  }, [backend, accountKey, attempt]);

  // Check every change; an answer to an older plan than the latest is dropped.
  useEffect(() => {
    if (!plan || !offerings) return;
    const mine = ++sequence.current;
    backend.validatePlan(plan).then(
      (problems) => {
        if (mine !== sequence.current) return;
        setValidated({ planId: plan.id, problems });
        setCheckError(null);
      },
      (error) => {
        if (mine === sequence.current) setCheckError(asAppError(error));
      },
    );
  }, [backend, plan, offerings]);

  // Save once typing pauses.
  useEffect(() => {
    if (!plan || plan === saved.current) return;
    const timer = setTimeout(() => {
      saved.current = plan;
      backend.saveDraft(plan).then(
        () => setSaveError(null),
        (error) => setSaveError(asAppError(error)),
      );
    }, SAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [backend, plan]);

  // Closing the window mid-pause still keeps the last change.
  useEffect(
    () => () => {
      const last = current.current;
      if (last && last !== saved.current) void backend.saveDraft(last).catch(() => undefined);
    },
    [backend],
  );

  const update = useCallback((patch: Partial<DraftPlan>) => {
    const before = current.current;
    const fields = fieldsOfPatch(patch, before);
    // Two changes in one event compare the second with the first, not with the last render.
    if (before) current.current = { ...before, ...patch };
    setPlan((prev) => (prev ? { ...prev, ...patch } : prev));
    setCloud((prev) => prev.filter((p) => !fields.includes(p.field)));
    setRevealed((prev) => (prev === 'all' ? prev : new Set([...prev, ...fields])));
  }, []);

  const replace = useCallback((next: DraftPlan) => {
    setPlan(next);
    setValidated(null);
    setCloud([]);
    setLocal({});
    setRevealed(new Set());
  }, []);

  const reveal = useCallback((fields: string[]) => {
    setRevealed((prev) => (prev === 'all' ? prev : new Set([...prev, ...fields])));
  }, []);

  const setLocalProblem = useCallback((field: string, message: string | null) => {
    setLocal((prev) => {
      if ((prev[field] ?? null) === message) return prev;
      const next = { ...prev };
      if (message === null) delete next[field];
      else next[field] = message;
      return next;
    });
  }, []);

  const addCloudProblems = useCallback((problems: Problem[]) => {
    setCloud((prev) => [
      ...prev,
      ...problems.filter((p) => !prev.some((q) => q.field === p.field && q.message === p.message)),
    ]);
    setRevealed((prev) => (prev === 'all' ? prev : new Set([...prev, ...problems.map((p) => p.field)])));
  }, []);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  const checked = Boolean(plan && validated?.planId === plan.id);
  const { problems, shown } = useMemo(() => {
    const rules = checked && validated ? validated.problems : [];
    // The window's own message replaces the rules' one: they judged the last number it could send.
    const fromRules = rules.filter((p) => !(p.field in local));
    const fromCloud = cloud.filter((p) => !rules.some((r) => r.field === p.field && r.message === p.message));
    const fromWindow = Object.entries(local).map(([field, message]) => ({ field, message }));
    const all = [...fromRules, ...fromCloud, ...fromWindow];
    const visible = [
      ...fromRules.filter((p) => revealed === 'all' || revealed.has(p.field)),
      ...fromCloud,
      ...fromWindow,
    ];
    return { problems: all, shown: messagesByField(visible) };
  }, [checked, validated, cloud, local, revealed]);

  return {
    offerings,
    plan,
    loading,
    loadError,
    checked,
    checkError,
    saveError,
    problems,
    shown,
    update,
    replace,
    reveal,
    setLocalProblem,
    addCloudProblems,
    reload,
  };
}
