// Review: reachable only without problems; shows every resource, the cost (with unknown
// prices said as such), what only the cloud knows; and apply's refusals land at their field.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';

import { BackendError, type DraftPlan, type PlanProgress, type ProgressListener } from '../backend';
import { FakeBackend, KEY_CRN } from '../test/fakeBackend';
import { draft, fieldError, openStep, renderWizard, stepButton } from '../test/wizard';

/** Opens Review on a saved draft (good unless `change` says otherwise). */
async function review(change: Partial<DraftPlan> = {}, backend = new FakeBackend()) {
  backend.draft = draft(change);
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'review', 'Review');
  await waitFor(() => expect(screen.queryByText('Checking the plan and reading prices…')).toBeNull());
  return rendered;
}

describe('reaching Review', () => {
  it('is out of reach while any problem is open, and within reach once none is', async () => {
    const { user } = await renderWizard();
    expect(stepButton('review').disabled).toBe(true);
    await openStep(user, 'basics', 'Basics');
    const input = screen.getByLabelText('Service name');
    await user.type(input, 'pg-demo');
    // A new plan's private path still needs an image and an SSH source, which Connectivity fills in.
    await waitFor(() => expect(stepButton('connectivity').disabled).toBe(false));
    expect(stepButton('review').disabled).toBe(true);
    await openStep(user, 'connectivity', 'Connectivity');
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
    await openStep(user, 'basics', 'Basics');
    await user.type(screen.getByLabelText('Service name'), '/');
    await waitFor(() => expect(stepButton('review').disabled).toBe(true));
    expect(stepButton('connectivity').disabled).toBe(true);
  });

  it('goes from Encryption through Connectivity to Review with Next, and back', async () => {
    const { user } = await renderWizard((() => {
      const b = new FakeBackend();
      b.draft = draft();
      return b;
    })());
    await openStep(user, 'encryption', 'Encryption');
    const toConnectivity = await screen.findByRole('button', { name: 'Next: Connectivity' });
    await waitFor(() => expect((toConnectivity as HTMLButtonElement).disabled).toBe(false));
    await user.click(toConnectivity);
    expect(await screen.findByRole('heading', { level: 1, name: 'Connectivity' })).toBeTruthy();
    const toReview = await screen.findByRole('button', { name: 'Next: Review' });
    await waitFor(() => expect((toReview as HTMLButtonElement).disabled).toBe(false));
    await user.click(toReview);
    expect(await screen.findByRole('heading', { level: 1, name: 'Review' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Back: Connectivity' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Connectivity' })).toBeTruthy();
  });
});

describe('the Review step', () => {
  it('lists every resource with its settings, and the cost with a total', async () => {
    const { backend } = await review({
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
    expect(backend.calls).toContain('reviewPlan');
    const resources = document.querySelectorAll('[data-resource]');
    expect([...resources].map((r) => r.getAttribute('data-resource'))).toEqual([
      'Service authorization',
      'Databases for PostgreSQL (Gen 2)',
      'Service credential',
    ]);
    const database = resources[1] as HTMLElement;
    expect(within(database).getByText('pg-demo')).toBeTruthy();
    expect(within(database).getByText('bx3d.4x20 (4 vCPU × 20 GB RAM per member)')).toBeTruthy();
    expect(within(database).getByText(/Key Protect root key 'pg-root-key' in 'onramp-keys'/)).toBeTruthy();

    const table = screen.getByRole('table', { name: 'Estimated cost' });
    const rows = within(table).getAllByRole('row');
    expect(rows[1].textContent).toContain('Host flavor bx3d.4x20 × 2 members');
    expect(rows[1].textContent).toContain('$474.00');
    expect(rows[2].textContent).toContain('$5.00');
    expect(document.getElementById('cost-total')?.textContent).toBe('≈ $479.00/month (≈ $0.656/hour)');
    expect(screen.getByText(/Sandbox prices are illustrative/)).toBeTruthy();
    expect((document.getElementById('apply-button') as HTMLButtonElement).disabled).toBe(false);
  });

  it('says "Price unknown" for a price the catalog lacks, and gives the total as a lower bound', async () => {
    await review({ hostFlavor: 'bx3d.48x240' });
    const row = screen.getByText('Host flavor bx3d.48x240 × 2 members').closest('tr') as HTMLElement;
    expect(row.textContent).toContain('Price unknown');
    expect(row.textContent).toContain('The catalog lists no price for this flavor in this location.');
    expect(document.getElementById('cost-total')?.textContent).toMatch(/^At least \$5\.00\/month/);
  });

  it('shows what only the cloud knows, blocks Apply, and leads to the field to fix it', async () => {
    const { user } = await review({ name: 'pg-taken' });
    const problems = document.getElementById('review-problems') as HTMLElement;
    expect(problems.textContent).toMatch(/already has a service named 'pg-taken' in this resource group/);
    expect((document.getElementById('apply-button') as HTMLButtonElement).disabled).toBe(true);

    await user.click(within(problems).getByRole('button', { name: 'Service name (Basics)' }));
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    await waitFor(() => expect(document.activeElement?.id).toBe('plan-name'));
    expect(fieldError('plan-name')).toMatch(/already has a service named 'pg-taken'/);
    expect(stepButton('review').disabled).toBe(true);

    await user.type(screen.getByLabelText('Service name'), '-2');
    await waitFor(() => expect(fieldError('plan-name')).toBeNull());
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  });

  it('reads the review again on Refresh', async () => {
    const { user, backend } = await review();
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(backend.calls.filter((c) => c === 'reviewPlan')).toHaveLength(2));
  });

  it('takes apply’s refusal to the field it names', async () => {
    const backend = new FakeBackend();
    const { user } = await review({}, backend);
    // The name became taken between Review and Apply.
    backend.takenNames.add('pg-demo');
    await user.click(document.getElementById('apply-button') as HTMLElement);
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    await waitFor(() =>
      expect(fieldError('plan-name')).toMatch(/already has a service named 'pg-demo'.*Fix this in the plan before applying it\./),
    );
  });

  it('shows a refusal without a field on the Review step', async () => {
    class Offline extends FakeBackend {
      async applyPlan(_plan: DraftPlan, _listener: ProgressListener): Promise<PlanProgress> {
        this.calls.push('applyPlan');
        throw new BackendError({ code: 'Network', message: 'Resource Controller did not answer.', requestId: 'req-9' });
      }
    }
    const { user } = await review({}, new Offline());
    await user.click(document.getElementById('apply-button') as HTMLElement);
    const error = await screen.findByText('Resource Controller did not answer.');
    expect(error.closest('#apply-error')?.textContent).toMatch(/Request ID: req-9/);
    expect(screen.getByRole('heading', { level: 1, name: 'Review' })).toBeTruthy();
  });
});
