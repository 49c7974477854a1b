// Basics' "Use a database I already have": the account's databases listed with where and what
// they are, only an active one choosable, the choice copied into the plan by the Rust rule,
// Review naming it as kept, and back to a new database; keyboard and axe.
import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';

import type { DatabaseListing } from '../backend';
import { FakeBackend } from '../test/fakeBackend';
import { expectNoAxeViolations, openStep, renderWizard, stepButton } from '../test/wizard';

const listing = (name: string, state: string, guid: string): DatabaseListing => ({
  crn: `crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/acct:${guid}::`,
  name,
  location: 'ca-mon',
  resourceGroupId: 'rg-default',
  state,
  size: { members: 2, hostFlavor: 'bx3d.4x20', storageGb: 40 },
  version: '18',
  createdAt: '2026-11-30T10:00:00Z',
});

async function basics() {
  const backend = new FakeBackend();
  backend.accountDatabases = [listing('team-db', 'active', 'g-1'), listing('new-db', 'provisioning', 'g-2')];
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'basics', 'Basics');
  return { ...rendered, backend };
}

describe('using a database the account already has', () => {
  it('lists the databases, lets only an active one be chosen, and copies it into the plan', async () => {
    const { user, backend } = await basics();
    await user.click(screen.getByLabelText('Use a database I already have'));
    const team = await screen.findByRole('radio', { name: /team-db/ });
    expect(screen.getByRole('radio', { name: /new-db/ })).toHaveProperty('disabled', true);
    expect(screen.getByText(/ca-mon · active · 2 × bx3d.4x20, 40 GB per member · PostgreSQL 18/)).toBeTruthy();
    // Nothing chosen yet: no way on, and Next says why; its link leads back to the choice.
    await waitFor(() => expect(stepButton('review').disabled).toBe(true));
    const reason = await waitFor(() => {
      const found = document.getElementById('next-reason');
      expect(found?.textContent).toMatch(/Choose the database to use\./);
      return found as HTMLElement;
    });
    await user.click(reason.querySelector('button') as HTMLElement);
    await waitFor(() => expect(document.activeElement?.id).toBe('basics-existing'));
    // The message is at the list too (Carbon puts it under the group).
    await waitFor(() =>
      expect(
        [...document.querySelectorAll('.cds--radio-button__validation-msg')].map((m) => m.textContent).join(' '),
      ).toMatch(/Choose the database to use\./),
    );
    await user.click(team);
    await waitFor(() => expect(document.getElementById('existing-chosen')?.textContent).toMatch(/uses team-db in ca-mon/));
    expect(backend.calls).toContain('chooseExistingDatabase');
    // Sizing and Encryption are the database's own.
    await openStep(user, 'sizing', 'Sizing');
    expect(screen.getByText(/uses your database team-db, which runs 2 × bx3d.4x20 with 40 GB per member/)).toBeTruthy();
    expect(screen.queryByLabelText('Host flavor')).toBeNull();
    // The private path is still the plan's to build: Connectivity fills in its suggestion.
    await openStep(user, 'connectivity', 'Connectivity');
    await screen.findByLabelText('Image');
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
    await openStep(user, 'review', 'Review');
    await waitFor(() => expect(document.body.textContent).toMatch(/The database you already have: used, never changed or deleted/));
    // Its cost is its own, billed already: the estimate says so.
    await waitFor(() => expect(document.body.textContent).toMatch(/team-db is a database you already have: this is what it costs each month, billed already/));
  });

  it('goes back to a new database, with the name field', async () => {
    const { user } = await basics();
    await user.click(screen.getByLabelText('Use a database I already have'));
    await user.click(await screen.findByRole('radio', { name: /team-db/ }));
    await waitFor(() => expect(document.getElementById('existing-chosen')).toBeTruthy());
    await user.click(screen.getByLabelText('Create a new database'));
    expect(await screen.findByLabelText('Service name')).toBeTruthy();
    expect(screen.queryByRole('radio', { name: /team-db/ })).toBeNull();
  });

  it('says so when the account has none, and has no axe violations', async () => {
    const backend = new FakeBackend();
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'basics', 'Basics');
    await user.click(screen.getByLabelText('Use a database I already have'));
    await screen.findByText('This account has no Databases for PostgreSQL Gen 2 database.');
    await expectNoAxeViolations(view.container);
  });
});
