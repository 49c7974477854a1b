// The app: the stepper on the left, the current step on the right, and the plan they share.
import { Suspense, useCallback, useEffect, useState } from 'react';
import {
  Button,
  Header,
  HeaderName,
  InlineLoading,
  InlineNotification,
  ProgressIndicator,
  ProgressStep,
  SkipToContent,
  Stack,
  Tag,
} from '@carbon/react';

import { takeEarlyAccountStatus } from './backend/early';
import { asAppError, type AccountStatus, type AppError, type Backend, type PlanListing, type Problem } from './backend';
import { FIELDS, hasPrivatePath, stepOfField } from './plan';
import { STEPS } from './steps';
import { StartupNotices } from './StartupNotices';
import { StepNav, type NextInfo } from './StepNav';
import { AccountStep } from './steps/AccountStep';
import { StepHeading } from './steps/StepHeading';
import { UsesExisting } from './steps/UsesExisting';
import { loadable, StepSuspense } from './loadable';
import { useKeyFile } from './useKeyFile';
import { usePlan } from './usePlan';
import { useProgress } from './useProgress';

// The first step is in the first script; the others, and the list of plans, load beside it
// (see loadable.tsx).
const BasicsStep = loadable(() => import('./steps/BasicsStep').then((m) => m.BasicsStep));
const ConnectStep = loadable(() => import('./steps/ConnectStep').then((m) => m.ConnectStep));
const ConnectivityStep = loadable(() => import('./steps/ConnectivityStep').then((m) => m.ConnectivityStep));
const DoneStep = loadable(() => import('./steps/DoneStep').then((m) => m.DoneStep));
const EncryptionStep = loadable(() => import('./steps/EncryptionStep').then((m) => m.EncryptionStep));
const ObservabilityStep = loadable(() => import('./steps/ObservabilityStep').then((m) => m.ObservabilityStep));
const ProvisionStep = loadable(() => import('./steps/ProvisionStep').then((m) => m.ProvisionStep));
const ReviewStep = loadable(() => import('./steps/ReviewStep').then((m) => m.ReviewStep));
const SizingStep = loadable(() => import('./steps/SizingStep').then((m) => m.SizingStep));
const UsersStep = loadable(() => import('./steps/UsersStep').then((m) => m.UsersStep));
const PlansPanel = loadable(() => import('./PlansPanel').then((m) => m.PlansPanel));
const LATER = [PlansPanel, BasicsStep, ConnectStep, ConnectivityStep, DoneStep, EncryptionStep, ObservabilityStep, ProvisionStep, ReviewStep, SizingStep, UsersStep];

/** The steps that exist, in the order Back and Next walk them. */
const WIZARD = [
  'account',
  'basics',
  'sizing',
  'encryption',
  'connectivity',
  'review',
  'provision',
  'connect',
  'users',
  'observability',
  'done',
] as const;
type WizardStep = (typeof WIZARD)[number];
const PLAN_STEPS: string[] = ['basics', 'sizing', 'encryption', 'connectivity'];
/** The steps whose problems must be fixed before each step can be reached. */
const BLOCKED_BY: Partial<Record<WizardStep, string[]>> = {
  sizing: ['basics'],
  encryption: ['basics', 'sizing'],
  connectivity: ['basics', 'sizing', 'encryption'],
};

const isWizardStep = (id: string): id is WizardStep => (WIZARD as readonly string[]).includes(id);
const labelOf = (id: string) => STEPS.find((s) => s.id === id)?.label ?? id;

export function App({ backend }: { backend: Backend }) {
  // The account's answer, when it arrived before this first render (see backend/early.ts).
  const [status, setStatus] = useState<AccountStatus | null>(() => takeEarlyAccountStatus(backend));
  const [current, setCurrent] = useState<WizardStep>('account');
  // Where focus goes after a move: the first of these controls present, else the step's title.
  const [focus, setFocus] = useState<{ ids: string[] } | null>(null);

  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    backend.onAccountChanged(setStatus).then((stop) => (gone ? stop() : (unlisten = stop)));
    return () => {
      gone = true;
      unlisten?.();
    };
  }, [backend]);

  // Once the first step has its answer, the other steps' code is fetched, so none is waited for
  // (a fetch that fails is tried again when its step renders).
  const answered = status !== null;
  useEffect(() => {
    if (answered) for (const step of LATER) step.preload().catch(() => undefined);
  }, [answered]);

  const onStatus = useCallback((next: AccountStatus) => setStatus(next), []);
  const account = status?.account ?? null;
  const accountKey = account ? `${account.mode}:${account.accountId}` : null;
  const model = usePlan(backend, accountKey);
  const { plan, offerings, problems } = model;
  // A plan from an earlier session: a finished one opens on Done, anything else needs Provision.
  const showFound = useCallback(
    (found: { outcome: string | null }) => setCurrent(found.outcome === 'Succeeded' ? 'done' : 'provision'),
    [],
  );
  const { progress, notice, startError, follow, clear } = useProgress(backend, accountKey, showFound);
  const { keyFile, setKeyFile } = useKeyFile(progress?.planId ?? null);

  const go = useCallback((step: WizardStep, ids: string[] = [`${step}-title`]) => {
    setCurrent(step);
    setFocus({ ids });
  }, []);

  const jump = useCallback(
    (field: string) => {
      model.reveal([field]);
      go(stepOfField(field) ?? 'review', FIELDS[field]?.focus);
    },
    [model, go],
  );

  useEffect(() => {
    if (!focus) return;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      // A control may appear a moment later (Encryption loads its lists): wait a little for
      // the preferred one before settling for another, then for the step itself.
      const last = tries >= 8;
      const candidates = last ? focus.ids : focus.ids.slice(0, 1);
      for (const id of candidates) {
        const element = document.getElementById(id);
        if (element && !element.matches(':disabled')) {
          element.focus();
          return;
        }
      }
      if (last) (document.querySelector<HTMLElement>('#step h1[tabindex]') ?? document.getElementById('step'))?.focus();
      else {
        tries += 1;
        timer = setTimeout(attempt, 40);
      }
    };
    attempt();
    return () => clearTimeout(timer);
  }, [focus]);

  const apply = useCallback(async (): Promise<AppError | null> => {
    if (!plan) return null;
    try {
      await follow(plan.id, (l) => backend.applyPlan(plan, l));
      go('provision');
      return null;
    } catch (error) {
      const refused = asAppError(error);
      if (refused.field && stepOfField(refused.field)) {
        // The refusal names a field: show it there, where it is fixed.
        const message = [refused.message, refused.hint].filter(Boolean).join(' ');
        model.addCloudProblems([{ field: refused.field, message }]);
        jump(refused.field);
        return null;
      }
      return refused;
    }
  }, [backend, plan, follow, go, jump, model]);

  const [plansOpen, setPlansOpen] = useState(false);
  /** Works on another plan: its draft in the plan steps, its progress if it was applied. */
  const openPlan = useCallback(
    async (item: PlanListing) => {
      const opened = await backend.openPlan(item.planId);
      model.replace(opened);
      if (item.state === 'Draft') {
        clear();
        go('basics', ['plan-name']);
        return;
      }
      await follow(item.planId, (l) => backend.watchPlan(item.planId, l));
      go(item.state === 'Ready' ? 'done' : 'provision');
    },
    [backend, model, clear, follow, go],
  );

  const startNewPlan = useCallback(async () => {
    const fresh = await backend.newPlan();
    // Saved at once, so the list of plans has it even before the first edit.
    await backend.saveDraft(fresh);
    model.replace(fresh);
    clear();
    go('basics', ['plan-name']);
  }, [backend, model, clear, go]);

  // What can be reached: a step once the ones before it have no problem.
  const clean = (steps: string[]) => !problems.some((p) => steps.includes(stepOfField(p.field) ?? ''));
  const planReady = Boolean(account && plan && offerings && model.checked);
  // Connect needs a provisioned plan that built a way in (the journal's steps say whether it did);
  // so does Users, whose SQL goes the same way.
  const provisioned = Boolean(account && progress?.outcome === 'Succeeded');
  const wayIn = provisioned && progress !== null && hasPrivatePath(progress);
  const reach: Record<WizardStep, boolean> = {
    account: true,
    basics: Boolean(account),
    sizing: planReady && clean(['basics']),
    encryption: planReady && clean(['basics', 'sizing']),
    connectivity: planReady && clean(['basics', 'sizing', 'encryption']),
    review: planReady && problems.length === 0,
    provision: Boolean(account && progress),
    connect: wayIn,
    users: wayIn,
    observability: provisioned && plan?.id === progress?.planId,
    done: provisioned,
  };
  const blockersOf = (step: WizardStep): Problem[] => {
    if (step === 'review') return problems;
    const before = BLOCKED_BY[step];
    return before ? problems.filter((p) => before.includes(stepOfField(p.field) ?? '')) : [];
  };
  const shownOn = (step: string) => Object.keys(model.shown).some((f) => stepOfField(f) === step);

  const position = WIZARD.indexOf(current);
  // Without a way in, Connect and Users are passed over: Provision leads to Observability, and back.
  let previous: WizardStep | undefined = WIZARD[position - 1];
  let following: WizardStep | undefined = WIZARD[position + 1];
  if (provisioned && !wayIn && current === 'provision') following = 'observability';
  if (provisioned && !wayIn && current === 'observability') previous = 'provision';
  const nextInfo = (): NextInfo | undefined => {
    if (!following || (current === 'review' && !reach.provision)) return undefined;
    if (current === 'provision' && (!progress || progress.outcome === 'TornDown')) return undefined;
    const blockers = blockersOf(following);
    let reason: string | undefined;
    if (!account) reason = 'Connect to an account first.';
    else if (following === 'connect' || following === 'users') {
      if (progress && !hasPrivatePath(progress)) {
        reason = 'This plan builds no private path, so Onramp has no way to the database.';
      } else if (!provisioned) reason = `${labelOf(following)} opens once every resource is ready.`;
    } else if (following !== 'basics' && following !== 'provision') {
      if (model.loadError) reason = 'Onramp could not load the plan (see above).';
      else if (!plan || !offerings) reason = 'Loading the plan…';
      else if (!model.checked) {
        reason = model.checkError ? `Onramp could not check the plan: ${model.checkError.message}` : 'Checking the plan…';
      } else if (blockers.length > 0) reason = blockers.length === 1 ? 'To go on, fix this:' : 'To go on, fix these:';
    }
    return {
      label: labelOf(following),
      onClick: () => go(following),
      disabled: !reach[following],
      reason,
      blockers: reach[following] ? [] : blockers,
    };
  };

  const planLoaded = plan && offerings;
  const renderStep = () => {
    if (current === 'account') return <AccountStep backend={backend} status={status} onStatus={onStatus} />;
    if (PLAN_STEPS.includes(current) && !planLoaded) {
      return (
        <section className="onramp-step" aria-labelledby={`${current}-title`}>
          <Stack gap={6}>
            <StepHeading step={current} />
            {model.loadError ? (
              <Stack gap={4}>
                <InlineNotification
                  id="plan-load-error"
                  kind="error"
                  lowContrast
                  hideCloseButton
                  role="alert"
                  title={model.loadError.message}
                  subtitle={model.loadError.hint ?? undefined}
                />
                <div>
                  <Button kind="tertiary" onClick={model.reload}>
                    Try again
                  </Button>
                </div>
              </Stack>
            ) : (
              <InlineLoading description="Reading what the catalog offers and your resource groups…" />
            )}
          </Stack>
        </section>
      );
    }
    if (current === 'basics' && plan && offerings) {
      return (
        <BasicsStep
          backend={backend}
          plan={plan}
          offerings={offerings}
          shown={model.shown}
          onChange={model.update}
          onReplace={model.replace}
        />
      );
    }
    if ((current === 'sizing' || current === 'encryption') && plan?.existing?.crn) {
      return <UsesExisting step={current} plan={plan} />;
    }
    if (current === 'sizing' && plan && offerings) {
      return (
        <SizingStep
          plan={plan}
          offerings={offerings}
          shown={model.shown}
          onChange={model.update}
          onLocalProblem={model.setLocalProblem}
        />
      );
    }
    if (current === 'encryption' && plan) {
      return <EncryptionStep backend={backend} plan={plan} shown={model.shown} onChange={model.update} />;
    }
    if (current === 'connectivity' && plan) {
      return (
        <ConnectivityStep
          backend={backend}
          plan={plan}
          shown={model.shown}
          onChange={model.update}
          onLocalProblem={model.setLocalProblem}
        />
      );
    }
    if (current === 'review' && plan) {
      return (
        <ReviewStep
          backend={backend}
          plan={plan}
          onJump={jump}
          onCloudProblems={model.addCloudProblems}
          onApply={apply}
        />
      );
    }
    if (current === 'provision' && progress) {
      return (
        <ProvisionStep
          backend={backend}
          progress={progress}
          notice={notice}
          startError={startError}
          follow={follow}
          onNewPlan={startNewPlan}
          onJump={jump}
          onConnect={reach.connect ? () => go('connect') : undefined}
        />
      );
    }
    if (current === 'connect' && progress) {
      return (
        <ConnectStep
          key={progress.planId}
          backend={backend}
          planId={progress.planId}
          keyFile={keyFile}
          onKeyFile={setKeyFile}
        />
      );
    }
    if (current === 'done' && progress) {
      return (
        <DoneStep
          key={progress.planId}
          backend={backend}
          planId={progress.planId}
          plan={plan?.id === progress.planId ? plan : null}
          wayIn={wayIn}
          steps={progress.steps}
          offerings={offerings}
          onNewPlan={startNewPlan}
          onGo={(step) => {
            if (isWizardStep(step) && reach[step]) go(step);
          }}
        />
      );
    }
    if (current === 'observability' && plan && progress) {
      const ready = (step: string) =>
        progress.outcome === 'Succeeded' && progress.steps.some((s) => s.step === step && s.status === 'Ready');
      return (
        <ObservabilityStep
          backend={backend}
          plan={plan}
          shown={model.shown}
          onChange={model.update}
          onApply={apply}
          routed={{
            metrics: ready('metrics-route'),
            activity: ready('activity-route'),
            platformLogs: ready('logs-route'),
          }}
        />
      );
    }
    if (current === 'users' && progress) {
      return (
        <UsersStep
          key={progress.planId}
          backend={backend}
          planId={progress.planId}
          keyFile={keyFile}
          onKeyFile={setKeyFile}
        />
      );
    }
    return null;
  };

  const currentIndex = STEPS.findIndex((s) => s.id === current);

  return (
    <div className="onramp">
      <Header aria-label="Onramp">
        <SkipToContent href="#step" />
        <HeaderName href="#" prefix="">
          Onramp
        </HeaderName>
        <div className="onramp__header-tags">
          {status?.build && status.build !== 'Release' && (
            <Tag type="purple" size="sm">
              {status.build === 'Test' ? 'Test build' : 'Dev build'}
            </Tag>
          )}
          {account && (
            <Button id="plans-button" kind="ghost" size="sm" onClick={() => setPlansOpen(true)}>
              Plans
            </Button>
          )}
          {status?.account && (
            <Tag type={status.mode === 'Sandbox' ? 'teal' : 'blue'} size="sm" id="header-account">
              {status.mode === 'Sandbox' ? 'Sandbox' : 'IBM Cloud'} · {status.account.accountId.slice(0, 8)}…
            </Tag>
          )}
        </div>
      </Header>
      <div className="onramp__body">
        <nav className="onramp__steps" aria-label="Steps">
          <ProgressIndicator
            vertical
            currentIndex={currentIndex}
            spaceEqually={false}
            onChange={(index: number) => {
              const id = STEPS[index]?.id ?? '';
              if (isWizardStep(id) && reach[id]) go(id);
            }}
          >
            {STEPS.map((step, index) => {
              const available = isWizardStep(step.id);
              const reachable = available && reach[step.id as WizardStep];
              const here = index === currentIndex;
              return (
                <ProgressStep
                  key={step.id}
                  label={step.label}
                  secondaryLabel={step.summary}
                  complete={
                    (step.id === 'account' && Boolean(account)) ||
                    (step.id === 'provision' && progress?.outcome === 'Succeeded')
                  }
                  current={here}
                  invalid={!here && reachable && PLAN_STEPS.includes(step.id) && shownOn(step.id)}
                  disabled={!reachable && !here}
                  description={
                    !available
                      ? `${step.label}: not yet available`
                      : reachable
                        ? step.label
                        : `${step.label}: finish the steps before it first`
                  }
                  data-step-id={step.id}
                />
              );
            })}
          </ProgressIndicator>
        </nav>
        <main className="onramp__content" id="step" tabIndex={-1}>
          {/* Only while open: a closed Carbon modal stays in the page as a second dialog. */}
          {plansOpen && (
            <Suspense fallback={null}>
              <PlansPanel
                backend={backend}
                open={plansOpen}
                onClose={() => setPlansOpen(false)}
                onOpenPlan={openPlan}
                onNewPlan={startNewPlan}
              />
            </Suspense>
          )}
          <StartupNotices backend={backend} refresh={`${accountKey}:${plan?.id ?? ''}`} />
          <StepSuspense>{renderStep()}</StepSuspense>
          {model.saveError && (
            <div className="onramp-step onramp-step__notice">
              <InlineNotification
                id="save-error"
                kind="warning"
                lowContrast
                hideCloseButton
                title="Onramp could not save the draft."
                subtitle={`${model.saveError.message} Your changes are kept while the app is open.`}
              />
            </div>
          )}
          <div className="onramp-step">
            <StepNav
              back={previous && reach[previous] ? { label: labelOf(previous), onClick: () => go(previous) } : undefined}
              next={nextInfo()}
              onJump={jump}
            />
          </div>
        </main>
      </div>
    </div>
  );
}
