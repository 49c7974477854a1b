// The list of plans: every plan Onramp holds (applied ones with where they stand, their
// resources and monthly cost; drafts not applied yet), opening one to work on, discarding a
// draft, and starting another plan. The wizard then works on the plan opened.
import { useCallback, useEffect, useState } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  Modal,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
} from '@carbon/react';

import { asAppError, type AppError, type Backend, type PlanListing, type PlanState } from './backend';
import { formatMoney } from './plan';

interface Props {
  backend: Backend;
  open: boolean;
  onClose: () => void;
  /** Makes the plan the one the wizard works on. */
  onOpenPlan: (plan: PlanListing) => Promise<void>;
  onNewPlan: () => Promise<void>;
}

const STATE: Record<PlanState, string> = {
  Draft: 'Draft, not applied',
  Applying: 'Being applied',
  TearingDown: 'Being torn down',
  Ready: 'Ready',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
  Interrupted: 'Interrupted',
  TeardownIncomplete: 'Teardown incomplete: may still bill',
};

const where = (p: PlanListing) =>
  p.mode === null ? 'Not applied' : `${p.mode === 'Sandbox' ? 'Sandbox' : 'IBM Cloud'} · ${p.accountId?.slice(0, 8)}…`;

export function PlansPanel({ backend, open, onClose, onOpenPlan, onNewPlan }: Props) {
  const [plans, setPlans] = useState<PlanListing[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setPlans(await backend.plansOverview());
    } catch (e) {
      setError(asAppError(e));
    }
  }, [backend]);

  useEffect(() => {
    if (open) void load();
    else setPlans(null);
  }, [open, load]);

  const act = async (work: () => Promise<void>, then: 'close' | 'reload') => {
    setBusy(true);
    setError(null);
    try {
      await work();
      if (then === 'close') onClose();
      else await load();
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      id="plans-panel"
      open={open}
      passiveModal
      size="lg"
      modalHeading="Your plans"
      onRequestClose={onClose}
      aria-label="Your plans"
    >
      <Stack gap={5}>
        <p className="onramp-step__text">
          Each plan keeps its own draft and journal. Opening one keeps the plan you were on in this list.
        </p>
        {error && (
          <InlineNotification
            id="plans-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={error.message}
            subtitle={error.hint ?? undefined}
          />
        )}
        {!plans && !error && <InlineLoading description="Reading your plans…" />}
        {plans && (
          <div id="plans-table" className="onramp-done__table" tabIndex={0} role="region" aria-label="Plans table">
            <Table size="md" aria-label="Plans">
              <TableHead>
                <TableRow>
                  <TableHeader>Plan</TableHeader>
                  <TableHeader>Where</TableHeader>
                  <TableHeader>Location</TableHeader>
                  <TableHeader>State</TableHeader>
                  <TableHeader>Resources ready</TableHeader>
                  <TableHeader>Per month</TableHeader>
                  <TableHeader>Actions</TableHeader>
                </TableRow>
              </TableHead>
              <TableBody>
                {plans.map((p) => {
                  const name = p.name || 'Unnamed plan';
                  return (
                    <TableRow key={p.planId} data-plan={p.planId} data-current={p.current}>
                      <TableCell>
                        <strong>{name}</strong>
                        {p.current && <span className="onramp-muted"> (open now)</span>}
                      </TableCell>
                      <TableCell>{where(p)}</TableCell>
                      <TableCell>{p.location || '—'}</TableCell>
                      <TableCell>{STATE[p.state]}</TableCell>
                      <TableCell>{p.resourcesTotal > 0 ? `${p.resourcesReady} of ${p.resourcesTotal}` : '—'}</TableCell>
                      <TableCell>
                        {p.monthly !== null && p.currency ? `${formatMoney(p.monthly, p.currency)}` : '—'}
                      </TableCell>
                      <TableCell>
                        <div className="onramp-plans__actions">
                          <Button
                            kind="ghost"
                            size="sm"
                            data-action="open"
                            disabled={busy || p.current}
                            onClick={() => void act(() => onOpenPlan(p), 'close')}
                          >
                            Open<span className="cds--visually-hidden"> {name}</span>
                          </Button>
                          {p.state === 'Draft' && !p.current && (
                            <Button
                              kind="danger--ghost"
                              size="sm"
                              data-action="discard"
                              disabled={busy}
                              onClick={() => void act(() => backend.discardDraft(p.planId), 'reload')}
                            >
                              Discard<span className="cds--visually-hidden"> the draft {name}</span>
                            </Button>
                          )}
                        </div>
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </div>
        )}
        <div>
          <Button id="plans-new" kind="primary" disabled={busy} onClick={() => void act(onNewPlan, 'close')}>
            Start another plan
          </Button>
        </div>
      </Stack>
    </Modal>
  );
}
