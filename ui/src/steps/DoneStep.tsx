// Step 11, Done: what the finished plan made (each with its id, location, state and console
// page), what it costs, how to reach the database, where each secret lives (entry names,
// never values), what was left out and how to go back to it, and what to do next (with the
// plan as ibmcloud CLI and Terraform, the latter importing what the plan made).
import { useCallback, useEffect, useState } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  Link,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';

import {
  asAppError,
  type AppError,
  type Backend,
  type DoneResource,
  type DraftPlan,
  type Offerings,
  type PlanSummary,
  type StepProgress,
} from '../backend';
import { PlanDiagram } from '../PlanDiagram';
import { CostTable } from './CostTable';
import { PlanExports } from './PlanExports';
import { ScalePanel } from './ScalePanel';
import { StepHeading } from './StepHeading';

interface Props {
  backend: Backend;
  planId: string;
  /** The plan shown, when it is also the one edited (the exports need it); null otherwise. */
  plan: DraftPlan | null;
  /** Goes to a step of the wizard (Connect, Users, Provision for teardown, or one to change). */
  onGo: (step: string) => void;
  onNewPlan: () => Promise<void>;
  /** Whether the plan has a way in, so Connect and Users can be reached. */
  wayIn: boolean;
  /** The plan's steps as the journal has them, for the picture. */
  steps: StepProgress[];
  /** What the catalog offers (the Scale panel's flavors), once loaded. */
  offerings?: Offerings | null;
}

/** Each state in words: what the user reads, not the engine's name for it. */
const STATE: Record<DoneResource['status'], string> = {
  Waiting: 'Not made',
  Blocked: 'Not made',
  Working: 'Being made',
  Ready: 'Ready',
  Failed: 'Failed',
  Paused: 'Paused',
  Deleting: 'Being deleted',
  Deleted: 'Deleted',
  DeleteFailed: 'Delete failed',
  Kept: 'Yours, used as it was',
  NotOurs: 'Not made by this plan',
};

const STEP_NAMES: Record<string, string> = {
  connectivity: 'Connectivity',
  provision: 'Provision',
  basics: 'Basics',
};

export function DoneStep({ backend, planId, plan, onGo, onNewPlan, wayIn, steps, offerings }: Props) {
  const [summary, setSummary] = useState<PlanSummary | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setSummary(await backend.planSummary(planId));
    } catch (e) {
      setError(asAppError(e));
    }
  }, [backend, planId]);

  useEffect(() => {
    void load();
  }, [load]);

  const sandbox = summary?.mode === 'Sandbox';
  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="done-title">
      <Stack gap={7}>
        <StepHeading step="done">
          {summary
            ? `The plan ${summary.planName} is ready. Here is everything it made, what it costs, how to reach the database, and where its secrets are.`
            : 'Everything the plan made, what it costs, how to reach the database, and where its secrets are.'}
        </StepHeading>

        {!summary && !error && <InlineLoading description="Reading the plan's journal…" />}
        {error && (
          <Stack gap={4}>
            <InlineNotification
              id="done-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={error.message}
              subtitle={error.hint ?? undefined}
            />
            <div>
              <Button id="done-try-again" kind="tertiary" size="md" onClick={() => void load()}>
                Try again
              </Button>
            </div>
          </Stack>
        )}

        {summary && (
          <>
            <Stack gap={4} as="section" aria-labelledby="done-resources-title">
              <h2 id="done-resources-title" className="onramp-review__heading">
                What the plan made
              </h2>
              <p className="onramp-step__text">
                {sandbox
                  ? 'In the sandbox, on this computer: nothing here exists in IBM Cloud, and nothing is billed.'
                  : `In IBM Cloud account ${summary.accountId}, location ${summary.location}. Each link opens the IBM Cloud console where the resource is.`}
              </p>
              <PlanDiagram id="done-diagram" boxes={steps} caption="What the plan made" />
              <div
                id="done-resources"
                className="onramp-done__table"
                tabIndex={0}
                role="region"
                aria-label="What the plan made, table"
              >
                <Table size="md" aria-labelledby="done-resources-title">
                  <TableHead>
                    <TableRow>
                      <TableHeader>Resource</TableHeader>
                      <TableHeader>ID or CRN</TableHeader>
                      <TableHeader>Location</TableHeader>
                      <TableHeader>State</TableHeader>
                      <TableHeader>In the console</TableHeader>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {summary.resources.map((r) => (
                      <TableRow key={r.step} data-step={r.step}>
                        <TableCell>
                          <span className="onramp-done__label">{r.label}</span>
                          <br />
                          <span className="onramp-users__name">{r.name}</span>
                        </TableCell>
                        <TableCell className="onramp-users__code onramp-selectable onramp-done__id">{r.id ?? '—'}</TableCell>
                        <TableCell>{r.location}</TableCell>
                        <TableCell>
                          {STATE[r.status]}
                          {!r.madeByPlan && r.status !== 'Kept' && r.status !== 'NotOurs' && ' (used, not made by this plan)'}
                        </TableCell>
                        <TableCell>
                          {r.consoleUrl ? (
                            <Link href={r.consoleUrl} target="_blank" rel="noreferrer">
                              Open<span className="cds--visually-hidden"> {r.label} {r.name} in the IBM Cloud console</span>
                            </Link>
                          ) : (
                            <span className="onramp-muted">{sandbox ? 'None in the sandbox' : 'None'}</span>
                          )}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </div>
            </Stack>

            {summary.cost && <CostTable cost={summary.cost} id="done-cost" />}

            <ScalePanel
              backend={backend}
              planId={planId}
              size={summary.size}
              flavors={offerings?.locations.find((l) => l.id === summary.location)?.flavors ?? []}
              onScaled={() => void load()}
            />

            <Stack gap={4} as="section" aria-labelledby="done-connect-title">
              <h2 id="done-connect-title" className="onramp-review__heading">
                How to reach the database
              </h2>
              {summary.hostName && wayIn ? (
                <>
                  <p className="onramp-step__text">
                    Its private host name is <code className="onramp-selectable">{summary.hostName}</code>. The Connect
                    step opens an SSH tunnel through the jump server and gives the psql line, with OpenSSH commands to
                    do the same without Onramp.
                  </p>
                  <div>
                    <Button id="done-connect" kind="tertiary" size="md" onClick={() => onGo('connect')}>
                      Go to Connect
                    </Button>
                  </div>
                </>
              ) : (
                <p className="onramp-step__text">
                  This plan built no way in from this computer: Gen 2 has only a private endpoint. Add a private path
                  in Connectivity and apply the plan again to connect from here.
                </p>
              )}
            </Stack>

            <Stack gap={4} as="section" aria-labelledby="done-secrets-title">
              <h2 id="done-secrets-title" className="onramp-review__heading">
                Where the secrets are
              </h2>
              <p className="onramp-step__text">
                In your OS keychain, under the service <code>{summary.keychainService}</code>; Onramp writes none of them
                to disk. Teardown removes each entry with what it belongs to.
              </p>
              <div id="done-secrets">
              <Table size="md" aria-labelledby="done-secrets-title">
                <TableHead>
                  <TableRow>
                    <TableHeader>Secret</TableHeader>
                    <TableHeader>Keychain entry</TableHeader>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {summary.secrets.map((s) => (
                    <TableRow key={s.keychainEntry}>
                      <TableCell>{s.what}</TableCell>
                      <TableCell className="onramp-users__code onramp-selectable">{s.keychainEntry}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              </div>
            </Stack>

            {summary.skipped.length > 0 && (
              <Stack gap={4} as="section" aria-labelledby="done-skipped-title">
                <h2 id="done-skipped-title" className="onramp-review__heading">
                  What the plan left out
                </h2>
                <ul id="done-skipped" className="onramp-done__skipped">
                  {summary.skipped.map((k) => (
                    <li key={k.what}>
                      <strong>{k.what}.</strong> {k.why}{' '}
                      {k.step && (
                        <Link href="#" onClick={(e) => (e.preventDefault(), onGo(k.step as string))}>
                          Go back to {STEP_NAMES[k.step] ?? k.step}
                        </Link>
                      )}
                    </li>
                  ))}
                </ul>
              </Stack>
            )}

            <Stack gap={4} as="section" aria-labelledby="done-next-title">
              <h2 id="done-next-title" className="onramp-review__heading">
                Next
              </h2>
              <div className="onramp-review__toolbar">
                {wayIn && (
                  <Button id="done-users" kind="tertiary" size="md" onClick={() => onGo('users')}>
                    Add users
                  </Button>
                )}
                <Button id="done-new-plan" kind="tertiary" size="md" onClick={() => void onNewPlan()}>
                  Start another plan
                </Button>
                <Button id="done-teardown" kind="danger--tertiary" size="md" onClick={() => onGo('provision')}>
                  Tear it down…
                </Button>
              </div>
              {plan ? (
                <PlanExports backend={backend} plan={plan} level={3} />
              ) : (
                <p id="done-exports-elsewhere" className="onramp-step__text">
                  To export this plan as ibmcloud CLI, curl or Terraform, open it from Plans first.
                </p>
              )}
              <p className="onramp-muted">
                Scaling the database comes in a later version of Onramp.
              </p>
            </Stack>
          </>
        )}
      </Stack>
    </section>
  );
}
