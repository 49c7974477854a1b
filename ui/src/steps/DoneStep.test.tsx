// Done: where the app opens for a finished plan; every resource it made with its id, location
// and state, the cost, the way in, the keychain entries (never a value), what was left out
// with the way back to it, the next steps, the keyboard alone and axe.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';

import { FakeBackend, FAKE_PASSWORD } from '../test/fakeBackend';
import { draft, expectNoAxeViolations, provisioned, renderWizard } from '../test/wizard';

/** Renders the wizard on a finished plan; it opens on Done. */
async function done(backend = new FakeBackend(), change: Parameters<typeof provisioned>[1] = {}) {
  const plan = await provisioned(backend, change);
  const rendered = await renderWizard(backend);
  await screen.findByRole('heading', { level: 1, name: 'Done' });
  await waitFor(() => expect(document.querySelector('#done-resources tbody tr')).toBeTruthy());
  return { ...rendered, plan };
}

const rows = (id: string) => [...document.querySelectorAll(`#${id} tbody tr`)] as HTMLElement[];
const cells = (row: HTMLElement) => [...row.querySelectorAll('td')].map((c) => c.textContent);

describe('Done', () => {
  it('lists every resource the plan made, with its id, location and state', async () => {
    const { plan } = await done();
    const steps = rows('done-resources').map((r) => r.getAttribute('data-step'));
    expect(steps).toEqual(expect.arrayContaining(['instance', 'manager-key', 'vpc', 'subnet', 'jump-vsi', 'floating-ip', 'vpe']));
    const database = rows('done-resources').find((r) => r.getAttribute('data-step') === 'instance') as HTMLElement;
    const [what, id, location, state, console] = cells(database);
    expect(what).toContain(plan.name);
    expect(id).toMatch(/^crn:v1:bluemix:public:databases-for-postgresql:ca-mon:/);
    expect([location, state]).toEqual(['ca-mon', 'Ready']);
    // The sandbox has no console to link to, and says so.
    expect(console).toBe('None in the sandbox');
    expect(screen.getByText(/In the sandbox, on this computer/)).toBeTruthy();
  });

  it('shows the cost, the way in, and where each secret is kept, never a secret', async () => {
    const { plan } = await done();
    expect(document.getElementById('done-cost-total')?.textContent).toMatch(/\$.*\/month/);
    expect(screen.getByText(/Its private host name is/)).toBeTruthy();
    const entries = rows('done-secrets').map((r) => cells(r)[1]);
    expect(entries).toEqual(expect.arrayContaining([expect.stringMatching(/^credential:/), `ssh-key:${plan.id}`]));
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
  });

  it('says what was left out, and goes back to it', async () => {
    const { user } = await done();
    const skipped = document.getElementById('done-skipped') as HTMLElement;
    expect(skipped.textContent).toMatch(/context-based restriction/);
    expect(skipped.textContent).toMatch(/Monitoring of the database.s platform metrics/);
    await user.click(within(skipped).getAllByRole('link', { name: 'Go back to Connectivity' })[0]);
    await screen.findByRole('heading', { level: 1, name: 'Connectivity' });
  });

  it('leads to Connect, Users, teardown and a new plan', async () => {
    const { user } = await done();
    await user.click(screen.getByRole('button', { name: 'Go to Connect' }));
    await screen.findByRole('heading', { level: 1, name: 'Connect' });
    await user.click(screen.getByRole('button', { name: 'Next: Users' }));
    await screen.findByRole('heading', { level: 1, name: 'Users' });
    await user.click(screen.getByRole('button', { name: 'Next: Observability' }));
    await screen.findByRole('heading', { level: 1, name: 'Observability' });
    await user.click(screen.getByRole('button', { name: 'Next: Done' }));
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    await user.click(await screen.findByRole('button', { name: 'Tear it down…' }));
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
  });

  it('follows Provision for a plan without a way in, and says how to get one', async () => {
    const backend = new FakeBackend();
    const plan = draft({ connectivity: null });
    await backend.applyPlan(plan, () => undefined);
    backend.finish(plan.id);
    backend.draft = plan;
    const { user } = await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    expect(await screen.findByText(/This plan built no way in from this computer/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add users' })).toBeNull();
    // Connect and Users are passed over: Done follows Observability, which follows Provision.
    await user.click(screen.getByRole('button', { name: 'Back: Observability' }));
    await screen.findByRole('heading', { level: 1, name: 'Observability' });
    await user.click(screen.getByRole('button', { name: 'Back: Provision' }));
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    await user.click(screen.getByRole('button', { name: 'Next: Observability' }));
    await screen.findByRole('heading', { level: 1, name: 'Observability' });
    await user.click(screen.getByRole('button', { name: 'Next: Done' }));
    await screen.findByRole('heading', { level: 1, name: 'Done' });
  });

  it('is usable with the keyboard alone and has no axe violations', async () => {
    const { user, view } = await done();
    await waitFor(() => expect(document.getElementById('done-cost-total')).toBeTruthy());
    await expectNoAxeViolations(view.container);
    // Tab alone reaches every action: the table's scroll region, the links, and the buttons.
    const reached = new Set<string>();
    for (let i = 0; i < 60 && !reached.has('done-new-plan'); i += 1) {
      await user.tab();
      reached.add(document.activeElement?.id || document.activeElement?.textContent || '');
    }
    expect([...reached]).toEqual(expect.arrayContaining(['done-resources', 'done-connect', 'done-users', 'done-new-plan']));
    await user.keyboard('{Enter}');
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
  });
});
