// The list of plans: another plan started keeps the first one in the list; each can be opened
// again (a draft in Basics, an applied one on Done, where it stands); a draft can be
// discarded; the panel is usable with the keyboard and has no axe violations.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';

import { FakeBackend } from './test/fakeBackend';
import { expectNoAxeViolations, provisioned, renderWizard, type User } from './test/wizard';

async function openPanel(user: User) {
  await user.click(screen.getByRole('button', { name: 'Plans' }));
  const dialog = await screen.findByRole('dialog', { name: 'Your plans' });
  await waitFor(() => expect(dialog.querySelector('#plans-table tbody tr')).toBeTruthy());
  return dialog;
}

const rows = (dialog: HTMLElement) =>
  [...dialog.querySelectorAll('#plans-table tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));

describe('the list of plans', () => {
  it('keeps the plan being drafted when another is started, and opens it again', async () => {
    const { user, backend } = await renderWizard();
    await user.click(screen.getByRole('button', { name: /^Next/ }));
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    await user.type(document.getElementById('plan-name') as HTMLInputElement, 'pg-first');
    await waitFor(() => expect(backend.draft?.name).toBe('pg-first'));

    let dialog = await openPanel(user);
    await user.click(within(dialog).getByRole('button', { name: 'Start another plan' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Your plans' })).toBeNull());
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    expect((document.getElementById('plan-name') as HTMLInputElement).value).toBe('');

    dialog = await openPanel(user);
    const listed = rows(dialog);
    expect(listed.map((r) => [r[0], r[3]])).toEqual([
      ['Unnamed plan (open now)', 'Draft, not applied'],
      ['pg-first', 'Draft, not applied'],
    ]);
    expect(listed[1][5]).toMatch(/^\$/);
    await user.click(within(dialog).getByRole('button', { name: 'Open pg-first' }));
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    await waitFor(() => expect((document.getElementById('plan-name') as HTMLInputElement).value).toBe('pg-first'));
  });

  it('opens an applied plan where it stands, and discards a draft', async () => {
    const backend = new FakeBackend();
    const applied = await provisioned(backend);
    const { user } = await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    let dialog = await openPanel(user);
    await user.click(within(dialog).getByRole('button', { name: 'Start another plan' }));
    await screen.findByRole('heading', { level: 1, name: 'Basics' });

    dialog = await openPanel(user);
    const listed = rows(dialog);
    expect(listed[0].slice(0, 5)).toEqual([applied.name, 'Sandbox · 01234567…', 'ca-mon', 'Ready', '10 of 10']);
    await expectNoAxeViolations(dialog);
    await user.click(within(dialog).getByRole('button', { name: `Open ${applied.name}` }));
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    const watched = backend.sent.filter((s) => s.call === 'watchPlan');
    expect(watched[watched.length - 1]?.args).toEqual([applied.id]);

    dialog = await openPanel(user);
    expect(rows(dialog)).toHaveLength(2);
    await user.click(within(dialog).getByRole('button', { name: 'Discard the draft Unnamed plan' }));
    await waitFor(() => expect(rows(dialog)).toHaveLength(1));
    expect(backend.calls).toContain('discardDraft');
  });
});
