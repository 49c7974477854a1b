// Step 7, Provision: every resource of the plan made live, in parallel, resumable, with teardown.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Button,
  ComposedModal,
  InlineLoading,
  InlineNotification,
  Link,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ProgressBar,
  Stack,
  Tag,
  Tile,
} from '@carbon/react';

import {
  asAppError,
  type AppError,
  type Backend,
  type PlanProgress,
  type StepProgress,
  type StepStatus,
  type TeardownItem,
} from '../backend';
import { FIELDS, fieldLabel, formatDuration, hasPrivatePath, isRunning } from '../plan';
import { PlanDiagram } from '../PlanDiagram';
import type { Follow } from '../useProgress';
import { StepHeading } from './StepHeading';

interface Props {
  backend: Backend;
  progress: PlanProgress;
  /** Why Onramp is already working on this plan (it resumed it on start), if it is. */
  notice: string | null;
  /** A failure of what Onramp did on start (watching or resuming), if any. */
  startError: AppError | null;
  follow: Follow;
  onNewPlan: () => Promise<void>;
  onJump: (field: string) => void;
  /** Goes to Connect; absent while the database cannot be reached (no private path, not ready). */
  onConnect?: () => void;
}

type TagType = 'gray' | 'cool-gray' | 'warm-gray' | 'blue' | 'green' | 'red' | 'magenta' | 'teal' | 'purple';

/** Each status in words (never by color alone) and a color that agrees. */
const STATUS: Record<StepStatus, { text: string; tag: TagType }> = {
  Waiting: { text: 'Waiting', tag: 'gray' },
  Blocked: { text: 'Blocked', tag: 'warm-gray' },
  Working: { text: 'Working', tag: 'blue' },
  Ready: { text: 'Ready', tag: 'green' },
  Failed: { text: 'Failed', tag: 'red' },
  Paused: { text: 'Paused', tag: 'magenta' },
  Deleting: { text: 'Deleting', tag: 'blue' },
  Deleted: { text: 'Deleted', tag: 'cool-gray' },
  DeleteFailed: { text: 'Delete failed', tag: 'red' },
  Kept: { text: 'Kept', tag: 'teal' },
  NotOurs: { text: 'Not made by this plan, left in place', tag: 'warm-gray' },
};

/** The overall state in one sentence: what the live region announces, once per change. */
function summary(p: PlanProgress): string {
  const name = `'${p.planName}'`;
  const count = (statuses: StepStatus[]) => p.steps.filter((s) => statuses.includes(s.status)).length;
  const total = p.steps.length;
  if (p.activity === 'Applying') {
    const working = p.steps.find((s) => s.status === 'Working');
    return `Applying ${name}: ${count(['Ready'])} of ${total} resources ready.${working ? ` Working on: ${working.label}.` : ''}`;
  }
  if (p.activity === 'TearingDown')
    return `Tearing down ${name}: ${count(['Deleted', 'Kept', 'NotOurs'])} of ${total} done.`;
  switch (p.outcome) {
    case 'Succeeded':
      return `${name} is provisioned: every resource is ready.`;
    case 'Failed':
      return `${name} stopped: a step failed.`;
    case 'Cancelled':
      return `${name} was cancelled. Resume to carry on where it stopped.`;
    case 'Interrupted':
      return `${name} was interrupted when the app closed. Resume to carry on.`;
    case 'TornDown':
      return `${name} was torn down.`;
    case 'TeardownIncomplete':
      return `The teardown of ${name} could not delete everything.`;
    default:
      return `${name} is not running.`;
  }
}

/** The elapsed time, ticking every second between snapshots while the job runs. */
function useElapsed(progress: PlanProgress): number {
  const receivedAt = useMemo(() => Date.now(), [progress]);
  const [now, setNow] = useState(() => Date.now());
  const running = isRunning(progress);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return progress.elapsedMs + (running ? Math.max(0, now - receivedAt) : 0);
}

function StepRow({ step, onJump }: { step: StepProgress; onJump: (field: string) => void }) {
  const status = STATUS[step.status];
  const field = step.error?.field;
  return (
    <li className="onramp-provision__step" data-step={step.step} data-status={step.status}>
      <div className="onramp-provision__step-head">
        <h3 className="onramp-provision__step-title">{step.label}</h3>
        <Tag type={status.tag} size="md">
          {status.text}
        </Tag>
      </div>
      <p className="onramp-provision__name">{step.name}</p>
      {step.resourceId && <p className="onramp-provision__id">{step.resourceId}</p>}
      {step.detail && <p className="onramp-provision__detail">{step.detail}</p>}
      {(step.status === 'Working' || step.status === 'Deleting') && step.estimateMs > 0 && (
        <p className="onramp-provision__time">
          {formatDuration(step.elapsedMs)} so far; usually about {formatDuration(step.estimateMs)}
        </p>
      )}
      {step.error && (
        <div className="onramp-provision__error">
          <p className="onramp-provision__error-message">{step.error.message}</p>
          {step.error.requestId && (
            <p>
              Request ID: <code className="onramp-selectable">{step.error.requestId}</code>
            </p>
          )}
          {step.error.hint && <p>{step.error.hint}</p>}
        </div>
      )}
      {step.next && <p className="onramp-provision__next">{step.next}</p>}
      {field && FIELDS[field] && (
        <Link as="button" type="button" onClick={() => onJump(field)}>
          Change {fieldLabel(field).toLowerCase()} in the plan
        </Link>
      )}
    </li>
  );
}

function TeardownModal({
  progress,
  items,
  error,
  busy,
  onClose,
  onConfirm,
}: {
  progress: PlanProgress;
  items: TeardownItem[] | null;
  error: AppError | null;
  busy: boolean;
  onClose: () => void;
  onConfirm: () => void;
}) {
  const deletes = items?.some((i) => i.deletes) ?? false;
  return (
    <ComposedModal open danger size="md" onClose={onClose} aria-labelledby="teardown-title">
      <ModalHeader id="teardown-title" label="Teardown" title={`Delete what '${progress.planName}' created?`} />
      <ModalBody>
        <Stack gap={5}>
          {!items && !error && <InlineLoading description="Reading what the plan created…" />}
          {error && (
            <InlineNotification
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={error.message}
              subtitle={error.hint ?? undefined}
            />
          )}
          {items && items.length === 0 && <p>The plan created nothing that is still there.</p>}
          {items && items.length > 0 && (
            <>
              <p>Onramp deletes these, in this order:</p>
              <ol className="onramp-teardown" id="teardown-items">
                {items.map((item) => (
                  <li key={item.key} data-step={item.step ?? undefined} data-deletes={item.deletes}>
                    <div className="onramp-provision__step-head">
                      <strong>{item.label}</strong>
                      <Tag type={item.deletes ? 'red' : 'teal'} size="sm">
                        {item.deletes ? 'Will be deleted' : 'Kept'}
                      </Tag>
                    </div>
                    <p className="onramp-provision__name">{item.name}</p>
                    {item.resourceId && <p className="onramp-provision__id">{item.resourceId}</p>}
                    <p>{item.consequence}</p>
                  </li>
                ))}
              </ol>
            </>
          )}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button kind="secondary" onClick={onClose} disabled={busy}>
          Keep everything
        </Button>
        <Button id="teardown-confirm" kind="danger" onClick={onConfirm} disabled={!items || busy}>
          {deletes ? 'Delete them' : 'Close the plan'}
        </Button>
      </ModalFooter>
    </ComposedModal>
  );
}

type Busy = null | 'cancel' | 'resume' | 'retry' | 'teardown' | 'new';

/** Step 7: each resource as it is created (or deleted), live, with what to do when one fails. */
export function ProvisionStep({ backend, progress, notice, startError, follow, onNewPlan, onJump, onConnect }: Props) {
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [teardown, setTeardown] = useState<{ items: TeardownItem[] | null; error: AppError | null } | null>(null);
  const teardownButton = useRef<HTMLButtonElement>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const elapsed = useElapsed(progress);
  const id = progress.planId;

  const run = async (kind: Busy, action: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      if (alive.current) setError(asAppError(e));
      return false;
    } finally {
      if (alive.current) setBusy(null);
    }
  };

  const openTeardown = async () => {
    setTeardown({ items: null, error: null });
    try {
      const items = await backend.teardownPreview(id);
      if (alive.current) setTeardown({ items, error: null });
    } catch (e) {
      if (alive.current) setTeardown({ items: null, error: asAppError(e) });
    }
  };

  const closeTeardown = () => {
    setTeardown(null);
    // The modal is gone with its focus: give it back to what opened it.
    setTimeout(() => teardownButton.current?.focus());
  };

  const confirmTeardown = async () => {
    setBusy('teardown');
    try {
      await follow(id, (listener) => backend.teardownPlan(id, listener));
      if (alive.current) setTeardown(null);
    } catch (e) {
      if (alive.current) setTeardown((t) => ({ items: t?.items ?? null, error: asAppError(e) }));
    } finally {
      if (alive.current) setBusy(null);
    }
  };

  const running = isRunning(progress);
  const outcome = progress.outcome;
  // The context-based restriction is a preview IBM may refuse: the plan succeeds without it.
  const optionalFailed = outcome === 'Succeeded' && progress.steps.some((s) => s.status === 'Failed');
  const share = (statuses: StepStatus[]) =>
    progress.steps.filter((s) => statuses.includes(s.status)).length / Math.max(1, progress.steps.length);
  // Applying moves with time against the estimate (the database is one long step), never
  // claiming done before it is; teardown moves with what is gone.
  const fraction =
    outcome === 'Succeeded' || outcome === 'TornDown'
      ? 1
      : progress.activity === 'TearingDown'
        ? share(['Deleted', 'Kept', 'NotOurs'])
        : Math.max(share(['Ready']), Math.min(0.95, progress.estimateMs > 0 ? elapsed / progress.estimateMs : 0));
  const barStatus =
    outcome === 'Succeeded' || outcome === 'TornDown'
      ? 'finished'
      : outcome === 'Failed' || outcome === 'TeardownIncomplete'
        ? 'error'
        : 'active';

  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="provision-title">
      <Stack gap={6}>
        <StepHeading step="provision">
          Onramp creates each resource in order and keeps a journal of it, so closing the app neither stops nor loses
          the work: it carries on when the app opens again.
        </StepHeading>

        {notice && (
          <InlineNotification id="provision-notice" kind="info" lowContrast hideCloseButton title={notice} />
        )}
        {[startError, error].map(
          (e, i) =>
            e && (
              <InlineNotification
                key={i}
                kind="error"
                lowContrast
                hideCloseButton
                role="alert"
                title={e.message}
                subtitle={[e.hint, e.requestId && `Request ID: ${e.requestId}`].filter(Boolean).join(' ')}
              />
            ),
        )}

        <Tile className="onramp-provision__overall">
          <Stack gap={4}>
            <h2 className="onramp-provision__plan">
              {progress.planName}
              <Tag type={progress.mode === 'Sandbox' ? 'teal' : 'blue'} size="sm">
                {progress.mode === 'Sandbox' ? 'Sandbox' : 'IBM Cloud'}
              </Tag>
            </h2>
            <ProgressBar
              label="Overall progress"
              value={Math.round(fraction * 100)}
              max={100}
              status={barStatus}
              helperText={`${formatDuration(elapsed)} elapsed; about ${formatDuration(progress.estimateMs)} expected`}
            />
            <p id="provision-status" className="onramp-provision__status" aria-live="polite">
              {summary(progress)}
            </p>
          </Stack>
        </Tile>

        <PlanDiagram id="provision-diagram" boxes={progress.steps} caption="The plan, live" />

        <ol className="onramp-provision__steps" aria-label="Resources">
          {progress.steps.map((step) => (
            <StepRow key={step.step} step={step} onJump={onJump} />
          ))}
        </ol>

        {outcome && (
          <div id="provision-outcome" data-outcome={outcome}>
            {outcome === 'Succeeded' && hasPrivatePath(progress) && (
              <Stack gap={4}>
                <InlineNotification
                  kind="success"
                  lowContrast
                  hideCloseButton
                  title="Your database is active, and so is the private path to it."
                  subtitle="Next: open a tunnel through the jump server, check the way with the connection doctor, and run a first query."
                />
                {onConnect && (
                  <div>
                    <Button id="go-connect" kind="primary" onClick={onConnect}>
                      Connect to the database
                    </Button>
                  </div>
                )}
              </Stack>
            )}
            {optionalFailed && (
              <InlineNotification
                id="provision-optional-failed"
                kind="warning"
                lowContrast
                hideCloseButton
                title="The context-based restriction was not made."
                subtitle="IBM's answer is at its step above. The database and its private path work without it; retry it later, or leave it."
              />
            )}
            {outcome === 'Succeeded' && !hasPrivatePath(progress) && (
              <InlineNotification
                kind="success"
                lowContrast
                hideCloseButton
                title="Your database is active."
                subtitle="This plan built no private path, and Gen 2 has only a private endpoint: to reach the database, use your own VPN or a server in a VPC of its region, or plan a private path with a new plan."
              />
            )}
            {outcome === 'Failed' && (
              <InlineNotification
                kind="error"
                lowContrast
                hideCloseButton
                title="A step failed."
                subtitle="Its message is above. Retry the failed steps once the cause is fixed, or tear down what was created."
              />
            )}
            {outcome === 'Cancelled' && (
              <InlineNotification
                kind="warning"
                lowContrast
                hideCloseButton
                title="Cancelled."
                subtitle="What was created is kept. Resume to carry on where it stopped, or tear it down."
              />
            )}
            {outcome === 'Interrupted' && (
              <InlineNotification
                kind="warning"
                lowContrast
                hideCloseButton
                title="Interrupted when the app closed."
                subtitle="Resume to carry on: Onramp adopts what exists and never creates a second copy."
              />
            )}
            {outcome === 'TeardownIncomplete' && (
              <InlineNotification
                kind="error"
                lowContrast
                hideCloseButton
                title="The teardown could not delete everything."
                subtitle="The steps above say what is left. Try the teardown again."
              />
            )}
            {outcome === 'TornDown' && (
              <Stack gap={4}>
                <InlineNotification
                  kind="success"
                  lowContrast
                  hideCloseButton
                  title="Everything this plan created was deleted."
                />
                <div>
                  <Button
                    id="new-plan-button"
                    kind="primary"
                    disabled={busy !== null}
                    onClick={() => void run('new', onNewPlan)}
                  >
                    Start a new plan
                  </Button>
                </div>
              </Stack>
            )}
          </div>
        )}

        <div className="onramp-provision__actions">
          {progress.activity === 'Applying' && (
            <Button
              id="cancel-button"
              kind="secondary"
              disabled={busy !== null}
              onClick={() => void run('cancel', () => backend.cancelPlan(id))}
            >
              Cancel
            </Button>
          )}
          {!running && (outcome === 'Interrupted' || outcome === 'Cancelled') && (
            <Button
              id="resume-button"
              kind="primary"
              disabled={busy !== null}
              onClick={() => void run('resume', () => follow(id, (l) => backend.resumePlan(id, false, l)))}
            >
              Resume
            </Button>
          )}
          {!running && (outcome === 'Failed' || optionalFailed) && (
            <Button
              id="retry-button"
              kind={optionalFailed ? 'tertiary' : 'primary'}
              disabled={busy !== null}
              onClick={() => void run('retry', () => follow(id, (l) => backend.resumePlan(id, true, l)))}
            >
              {optionalFailed ? 'Retry the restriction' : 'Retry failed steps'}
            </Button>
          )}
          {!running && outcome !== 'TornDown' && (
            <Button
              id="teardown-button"
              ref={teardownButton}
              kind="danger--tertiary"
              disabled={busy !== null}
              onClick={() => void openTeardown()}
            >
              {outcome === 'TeardownIncomplete' ? 'Try the teardown again' : 'Tear down'}
            </Button>
          )}
          {busy && busy !== 'teardown' && <InlineLoading description="Working…" />}
        </div>
      </Stack>

      {teardown && (
        <TeardownModal
          progress={progress}
          items={teardown.items}
          error={teardown.error}
          busy={busy === 'teardown'}
          onClose={closeTeardown}
          onConfirm={() => void confirmTeardown()}
        />
      )}
    </section>
  );
}
