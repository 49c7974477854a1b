// Done's Scale panel: each bad size at its field with the Rust rules' words and nothing sent, the
// cost before and after, a scale followed to its size (then the plan's), and the keyboard alone.
import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';

import { FakeBackend } from '../test/fakeBackend';
import { expectNoAxeViolations, provisioned, renderWizard } from '../test/wizard';

async function scalePanel(backend = new FakeBackend()) {
  const plan = await provisioned(backend);
  const rendered = await renderWizard(backend);
  await screen.findByRole('heading', { level: 1, name: 'Done' });
  await screen.findByRole('heading', { level: 2, name: 'Scale the database' });
  await waitFor(() => expect(storage().value).toBe('10'));
  return { ...rendered, plan, backend };
}

const storage = () => document.getElementById('scale-storage') as HTMLInputElement;
const errorOf = (id: string) => document.getElementById(`${id}-error-msg`)?.textContent ?? null;
const scaleButton = () => document.getElementById('scale-apply') as HTMLButtonElement;

describe('the Scale panel', () => {
  it('starts from the size the database runs at, with nothing to send', async () => {
    await scalePanel();
    expect(screen.getByText(/It runs 2 × .*, 10 GB per member now/)).toBeTruthy();
    expect(scaleButton().disabled).toBe(true);
    expect(document.getElementById('scale-problem')).toBeNull();
  });

  it('puts a shrink, an out-of-range size and bad members at their fields, and sends nothing', async () => {
    const { user, backend } = await scalePanel();
    await user.clear(storage());
    await user.type(storage(), '9');
    await waitFor(() => expect(errorOf('scale-storage')).toMatch(/from 10 to 9600/));
    expect(storage().getAttribute('aria-invalid')).toBe('true');
    expect(scaleButton().disabled).toBe(true);
    await user.clear(storage());
    await user.type(storage(), '40');
    await waitFor(() => expect(errorOf('scale-storage')).toBeNull());
    expect(scaleButton().disabled).toBe(false);
    expect(backend.calls).not.toContain('scaleDatabase');
  });

  it('shows the cost before and after, then scales and follows the update to the new size', async () => {
    const { user, backend } = await scalePanel();
    await user.clear(storage());
    await user.type(storage(), '40');
    await waitFor(() => expect(document.getElementById('scale-cost')?.textContent).toMatch(/now, .* after the change/));
    await user.click(scaleButton());
    await screen.findByText(/Scaled: the database runs 2 × .*, 40 GB per member\./);
    expect(backend.calls).toContain('scaleDatabase');
    // Now 40 GB is the floor: a shrink back is refused at the field.
    await waitFor(() => expect(screen.getByText(/It runs 2 × .*, 40 GB per member now/)).toBeTruthy());
    await user.clear(storage());
    await user.type(storage(), '20');
    await waitFor(() => expect(errorOf('scale-storage')).toMatch(/cannot shrink: it is 40 GB/));
  });

  it('shows a refused update with the service words and keeps the fields', async () => {
    const backend = new FakeBackend();
    backend.scaleFailure = 'The broker refused the update.';
    const { user } = await scalePanel(backend);
    await user.clear(storage());
    await user.type(storage(), '30');
    await waitFor(() => expect(scaleButton().disabled).toBe(false));
    await user.click(scaleButton());
    await waitFor(() => expect(document.getElementById('scale-error')?.textContent).toContain('The broker refused the update.'));
    expect(document.getElementById('scale-error')?.getAttribute('role')).toBe('alert');
    expect(storage().value).toBe('30');
  });

  it('can be used with the keyboard alone and has no axe violations', async () => {
    const { user } = await scalePanel();
    storage().focus();
    await user.keyboard('{Control>}a{/Control}25');
    await waitFor(() => expect(scaleButton().disabled).toBe(false));
    await user.tab();
    expect(document.activeElement?.id).toBe('scale-apply');
    await user.keyboard('{Enter}');
    await screen.findByText(/Scaled: the database runs 2 × .*, 25 GB per member\./);
    await expectNoAxeViolations(document.getElementById('scale') as HTMLElement);
  });
});
