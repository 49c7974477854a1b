// Provision: apply, then each resource's status as the engine's snapshots arrive; failure,
// retry, cancel and resume; teardown after its preview; and what Onramp does on start with
// plans an earlier session left running or interrupted.
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';

import type { DraftPlan, PlanProgress, StepProgress } from '../backend';
import { FakeBackend, KEY_CRN } from '../test/fakeBackend';
import { advance, connectivity, draft, lastSent, openStep, renderWizard, row, stepButton } from '../test/wizard';

/** Applies a saved draft from Review and waits for Provision. */
async function applied(change: Partial<DraftPlan> = {}, backend = new FakeBackend()) {
  backend.draft = draft(change);
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'review', 'Review');
  const apply = document.getElementById('apply-button') as HTMLButtonElement;
  await waitFor(() => expect(apply.disabled).toBe(false));
  await rendered.user.click(apply);
  await screen.findByRole('heading', { level: 1, name: 'Provision' });
  return rendered;
}

const status = (step: string) => row(step)?.getAttribute('data-status');
const outcome = () => document.getElementById('provision-outcome')?.getAttribute('data-outcome') ?? null;

function step(step: StepProgress['step'], status: StepProgress['status'], extra: Partial<StepProgress> = {}): StepProgress {
  return {
    step,
    label: step === 'instance' ? 'Databases for PostgreSQL (Gen 2)' : 'Manager service credential',
    name: step === 'instance' ? 'pg-earlier' : 'onramp-manager',
    // Where the back end would place them: the credential waits for the database.
    place: step === 'instance' ? { column: 0, row: 0, waitsFor: [] } : { column: 1, row: 0, waitsFor: ['instance'] },
    status,
    resourceId: null,
    detail: null,
    error: null,
    elapsedMs: 0,
    estimateMs: 60_000,
    next: null,
    ...extra,
  };
}

/** A plan as an earlier session's journal shows it. */
function earlier(change: Partial<PlanProgress>): PlanProgress {
  return {
    planId: 'plan-earlier',
    planName: 'pg-earlier',
    mode: 'Sandbox',
    accountId: '0123456789abcdef0123456789abcdef',
    activity: 'Idle',
    outcome: 'Interrupted',
    steps: [step('instance', 'Paused', { detail: 'provisioning: Creating the database' }), step('manager-key', 'Waiting')],
    elapsedMs: 95_000,
    estimateMs: 70_000,
    startedAt: '2025-01-01T10:00:00Z',
    ...change,
  };
}

describe('applying a plan', () => {
  it('shows each resource’s status as the snapshots arrive, until the database is active', async () => {
    const { backend } = await applied();
    expect(backend.calls).toContain('applyPlan');
    expect(screen.getByRole('heading', { level: 2, name: /pg-demo/ })).toBeTruthy();
    expect([status('instance'), status('manager-key')]).toEqual(['Working', 'Waiting']);
    expect(within(row('instance')).getByText('Working')).toBeTruthy();
    expect(within(row('instance')).getByText('provisioning: Creating the database')).toBeTruthy();
    const live = document.querySelector('[aria-live="polite"]#provision-status') as HTMLElement;
    expect(live.textContent).toBe("Applying 'pg-demo': 0 of 2 resources ready. Working on: Databases for PostgreSQL (Gen 2).");
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    expect(outcome()).toBeNull();

    advance(backend);
    expect(within(row('instance')).getByText('provisioning: Provisioning members (50%)')).toBeTruthy();
    advance(backend);
    expect([status('instance'), status('manager-key')]).toEqual(['Ready', 'Working']);
    expect(within(row('instance')).getByText('Ready')).toBeTruthy();
    expect(row('instance').textContent).toMatch(/crn:v1:bluemix:public:databases-for-postgresql:ca-mon/);
    expect(live.textContent).toMatch(/1 of 2 resources ready/);

    advance(backend);
    expect([status('instance'), status('manager-key')]).toEqual(['Ready', 'Ready']);
    expect(outcome()).toBe('Succeeded');
    expect(screen.getByText('Your database is active.')).toBeTruthy();
    // This plan opted out of the private path: there is no way to Connect.
    expect(screen.getByText(/This plan built no private path/)).toBeTruthy();
    expect(document.getElementById('go-connect')).toBeNull();
    expect(stepButton('connect').disabled).toBe(true);
    expect(live.textContent).toBe("'pg-demo' is provisioned: every resource is ready.");
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Tear down' })).toBeTruthy();
  });

  it('creates the authorization first when the plan asks for it', async () => {
    const { backend } = await applied({
      encryption: {
        kind: 'KeyProtect',
        instanceGuid: 'kp-guid-1',
        instanceName: 'onramp-keys',
        region: 'ca-mon',
        keyCrn: KEY_CRN,
        keyName: 'pg-root-key',
        authorization: 'Create',
      },
    });
    expect([status('authorization'), status('instance'), status('manager-key')]).toEqual([
      'Working',
      'Waiting',
      'Waiting',
    ]);
    advance(backend);
    expect([status('authorization'), status('instance')]).toEqual(['Ready', 'Working']);
  });

  it('ticks the elapsed time every second while the plan runs', async () => {
    await applied();
    const bar = screen.getByRole('progressbar');
    const elapsed = () => document.getElementById(bar.getAttribute('aria-describedby') ?? '')?.textContent ?? '';
    expect(elapsed()).toMatch(/^0:00 elapsed; about 1:10 expected/);
    await waitFor(() => expect(elapsed()).toMatch(/^0:01 elapsed/), { timeout: 2500 });
  }, 10_000);

  it('shows a failed step’s message, request id and hint, and retries it', async () => {
    const backend = new FakeBackend();
    backend.failures.instance = {
      message: "The broker refused the create: invalid host_flavor 'bx3d.4x20' for this location.",
      requestId: 'req-4242',
      field: 'hostFlavor',
      hint: 'Choose another host flavor, or retry if the catalog was wrong.',
    };
    const { user } = await applied({}, backend);
    advance(backend);
    expect([status('instance'), status('manager-key')]).toEqual(['Failed', 'Blocked']);
    const failed = row('instance');
    expect(within(failed).getByText('Failed')).toBeTruthy();
    expect(failed.textContent).toMatch(/The broker refused the create: invalid host_flavor/);
    expect(failed.textContent).toMatch(/Request ID: req-4242/);
    expect(within(failed).getByText('req-4242').className).toContain('onramp-selectable');
    expect(failed.textContent).toMatch(/Choose another host flavor, or retry/);
    expect(failed.textContent).toMatch(/Fix the hostFlavor field in the plan/);
    expect(row('manager-key').textContent).toMatch(/Waits for the step it depends on/);
    expect(outcome()).toBe('Failed');

    await user.click(screen.getByRole('button', { name: 'Retry failed steps' }));
    expect(lastSent(backend)).toEqual({ call: 'resumePlan', args: [draft().id, true] });
    await waitFor(() => expect(status('instance')).toBe('Working'));
    expect(status('manager-key')).toBe('Waiting');
    expect(outcome()).toBeNull();
  });

  it('succeeds without a refused context-based restriction, with IBM’s answer at its step and a way to retry', async () => {
    const backend = new FakeBackend();
    backend.failures['cbr-rule'] = {
      message: 'Bad Request: context-based restrictions are not supported for this plan.',
      requestId: 'req-cbr',
      field: 'connectivity.restrict',
      hint: null,
    };
    const { user } = await applied({ connectivity: connectivity({ restrict: true }) }, backend);
    for (let i = 0; i < 20 && outcome() === null; i++) advance(backend);
    expect(outcome()).toBe('Succeeded');
    expect(status('cbr-zone')).toBe('Ready');
    expect(status('cbr-rule')).toBe('Failed');
    expect(row('cbr-rule').textContent).toMatch(/not supported for this plan/);
    expect(row('cbr-rule').textContent).toMatch(/work without it/);
    expect(document.getElementById('provision-optional-failed')?.textContent).toMatch(/was not made/);
    expect(document.getElementById('go-connect')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Retry the restriction' }));
    expect(lastSent(backend)).toEqual({ call: 'resumePlan', args: [draft().id, true] });
    await waitFor(() => expect(status('cbr-rule')).toBe('Working'));
  });

  it('leads from a failed step to the plan field it names', async () => {
    const backend = new FakeBackend();
    backend.failures.instance = { message: 'invalid host flavor', requestId: null, field: 'hostFlavor', hint: null };
    const { user } = await applied({}, backend);
    advance(backend);
    await user.click(within(row('instance')).getByRole('button', { name: 'Change host flavor in the plan' }));
    await screen.findByRole('heading', { level: 1, name: 'Sizing' });
    await waitFor(() => expect(document.activeElement?.id).toBe('plan-host-flavor'));
  });

  it('cancels, then resumes where it stopped', async () => {
    const { user, backend } = await applied();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(outcome()).toBe('Cancelled'));
    expect(status('instance')).toBe('Paused');
    expect(backend.calls).toContain('cancelPlan');
    await user.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(status('instance')).toBe('Working'));
    expect(lastSent(backend)).toEqual({ call: 'resumePlan', args: [draft().id, false] });
  });
});

describe('tearing down', () => {
  it('previews what it deletes, then deletes it and offers a new plan', async () => {
    const { user, backend } = await applied();
    act(() => {
      backend.finish();
    });
    await user.click(screen.getByRole('button', { name: 'Tear down' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('Onramp deletes these, in this order:');
    expect(lastSent(backend)).toEqual({ call: 'teardownPreview', args: [draft().id] });
    const items = [...dialog.querySelectorAll('#teardown-items > li')];
    expect(items.map((i) => i.getAttribute('data-step'))).toEqual(['manager-key', 'instance']);
    expect(items[1].textContent).toMatch(/Deletes the sandbox database and its data/);
    expect(items[0].textContent).toMatch(/its password is removed from your keychain/);

    await user.click(document.getElementById('teardown-confirm') as HTMLElement);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(backend.calls).toContain('teardownPlan');
    expect(status('manager-key')).toBe('Deleting');
    expect(screen.getByText(/Tearing down 'pg-demo': 0 of 2 done\./)).toBeTruthy();

    advance(backend);
    expect([status('manager-key'), status('instance')]).toEqual(['Deleted', 'Deleting']);
    advance(backend);
    expect(outcome()).toBe('TornDown');
    expect(screen.getByText('Everything this plan created was deleted.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Tear down' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Start a new plan' }));
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    expect((screen.getByLabelText('Service name') as HTMLInputElement).value).toBe('');
    expect(backend.calls.filter((c) => c === 'newPlan')).toHaveLength(1);
    expect(stepButton('provision').disabled).toBe(true);
  });

  it('marks what it keeps, and can be closed without deleting anything', async () => {
    const { user, backend } = await applied({
      encryption: {
        kind: 'KeyProtect',
        instanceGuid: 'kp-guid-1',
        instanceName: 'onramp-keys',
        region: 'ca-mon',
        keyCrn: KEY_CRN,
        keyName: 'pg-root-key',
        authorization: 'Create',
      },
    });
    act(() => {
      backend.finish();
    });
    // As if the authorization had existed before Onramp and been adopted.
    (backend.jobs.get(draft().id) as { adopted: boolean }).adopted = true;
    await user.click(screen.getByRole('button', { name: 'Tear down' }));
    const dialog = await screen.findByRole('dialog');
    const kept = (await within(dialog).findByText(/Kept: it existed before Onramp/)).closest('li') as HTMLElement;
    expect(kept.getAttribute('data-deletes')).toBe('false');
    expect(within(kept).getByText('Kept')).toBeTruthy();

    await user.click(within(dialog).getByRole('button', { name: 'Keep everything' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(backend.calls).not.toContain('teardownPlan');
    await waitFor(() => expect(document.activeElement?.id).toBe('teardown-button'));
  });
});

describe('on start', () => {
  it('resumes a plan interrupted when the app closed, and says so', async () => {
    const backend = new FakeBackend();
    backend.seedPlan(earlier({}));
    await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    expect(screen.getByText("Onramp resumed 'pg-earlier', which was interrupted when the app closed.")).toBeTruthy();
    expect(backend.sent.find((s) => s.call === 'resumePlan')).toEqual({
      call: 'resumePlan',
      args: ['plan-earlier', false],
    });
    await waitFor(() => expect(status('instance')).toBe('Working'));
    advance(backend, 'plan-earlier');
    advance(backend, 'plan-earlier');
    advance(backend, 'plan-earlier');
    expect(outcome()).toBe('Succeeded');
  });

  it('watches a plan that is still being applied', async () => {
    const backend = new FakeBackend();
    backend.seedPlan(
      earlier({ activity: 'Applying', outcome: null, steps: [step('instance', 'Working'), step('manager-key', 'Waiting')] }),
    );
    await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    expect(backend.calls).toContain('watchPlan');
    expect(backend.calls).not.toContain('resumePlan');
    advance(backend, 'plan-earlier');
    advance(backend, 'plan-earlier');
    expect([status('instance'), status('manager-key')]).toEqual(['Ready', 'Working']);
  });

  it('opens a provisioned plan on Done, with Provision within reach', async () => {
    const backend = new FakeBackend();
    backend.seedPlan(
      earlier({ outcome: 'Succeeded', steps: [step('instance', 'Ready'), step('manager-key', 'Ready')] }),
    );
    const { user } = await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    expect(stepButton('provision').disabled).toBe(false);
    expect(backend.calls).not.toContain('resumePlan');
    await openStep(user, 'provision', 'Provision');
    expect(outcome()).toBe('Succeeded');
  });

  it('shows a failed plan from an earlier session with its way out', async () => {
    const backend = new FakeBackend();
    backend.seedPlan(
      earlier({
        outcome: 'Failed',
        steps: [
          step('instance', 'Failed', { error: { message: 'quota exceeded', requestId: 'req-7', field: null, hint: null } }),
          step('manager-key', 'Blocked'),
        ],
      }),
    );
    await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    expect(row('instance').textContent).toMatch(/Request ID: req-7/);
    expect(screen.getByRole('button', { name: 'Retry failed steps' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Tear down' })).toBeTruthy();
  });
});
