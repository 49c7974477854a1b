import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { App } from './App';
import { STEPS } from './steps';
import { FakeBackend, GOOD_KEY, LockedKeychainBackend } from './test/fakeBackend';

async function renderApp(backend = new FakeBackend()) {
  const user = userEvent.setup();
  const view = render(<App backend={backend} />);
  await screen.findByText('Sandbox account');
  return { backend, user, view };
}

describe('the stepper', () => {
  it('shows every step, with the ones after Account disabled', async () => {
    await renderApp();
    const nav = screen.getByRole('navigation', { name: 'Steps' });
    for (const step of STEPS) expect(within(nav).getAllByText(step.label).length).toBeGreaterThan(0);
    const disabled = nav.querySelectorAll('.cds--progress-step--disabled');
    expect(disabled.length).toBe(STEPS.length - 1);
  });
});

describe('the Account step', () => {
  it('starts in Sandbox mode and shows the sandbox account', async () => {
    const { backend } = await renderApp();
    expect(screen.getByText('0123456789abcdef0123456789abcdef')).toBeTruthy();
    expect((screen.getByLabelText(/Sandbox: a local rehearsal/) as HTMLInputElement).checked).toBe(true);
    expect(backend.calls).toEqual(['accountStatus']);
  });

  it('shows an empty key’s message at the field', async () => {
    const { user } = await renderApp();
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    await user.click(await screen.findByRole('button', { name: 'Connect' }));
    const input = screen.getByLabelText('IBM Cloud API key');
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText(/Paste an IBM Cloud API key\./)).toBeTruthy();
  });

  it('shows IAM’s message for a wrong key at the field, and keeps the typed key for correction', async () => {
    const { user } = await renderApp();
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    const input = (await screen.findByLabelText('IBM Cloud API key')) as HTMLInputElement;
    await user.type(input, 'x'.repeat(44));
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText(/Provided API key could not be found\./)).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.value).toBe('x'.repeat(44));
  });

  it('connects with the right key, clears the input, and forgets it on request', async () => {
    const { user, backend } = await renderApp();
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    await user.type(await screen.findByLabelText('IBM Cloud API key'), GOOD_KEY);
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('IBM Cloud account')).toBeTruthy();
    expect(screen.getByText('Stored in your system keychain')).toBeTruthy();
    expect(document.body.innerHTML).not.toContain(GOOD_KEY);
    expect(backend.received).toEqual([GOOD_KEY]);

    await user.click(screen.getByRole('button', { name: 'Forget key' }));
    expect(await screen.findByLabelText('IBM Cloud API key')).toBeTruthy();
    expect(backend.storedKey).toBeNull();
  });

  it('explains a locked keychain as a notification, not at the key field', async () => {
    const { user } = await renderApp(new LockedKeychainBackend());
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    await user.type(await screen.findByLabelText('IBM Cloud API key'), GOOD_KEY);
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/could not reach your system keychain/);
    expect(alert.textContent).toMatch(/Nothing was saved/);
    expect(screen.getByLabelText('IBM Cloud API key').getAttribute('aria-invalid')).not.toBe('true');
  });

  it('submits with the Enter key', async () => {
    const { user } = await renderApp();
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    await user.type(await screen.findByLabelText('IBM Cloud API key'), `${GOOD_KEY}{Enter}`);
    expect(await screen.findByText('IBM Cloud account')).toBeTruthy();
  });
});

describe('accessibility', () => {
  const check = async (container: HTMLElement) => {
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect(found).toEqual([]);
  };

  it('has no axe violations in Sandbox mode', async () => {
    const { view } = await renderApp();
    await check(view.container);
  });

  it('has no axe violations with a key error shown', async () => {
    const { user, view } = await renderApp();
    await user.click(screen.getByLabelText(/IBM Cloud: your account/));
    await user.click(await screen.findByRole('button', { name: 'Connect' }));
    await screen.findByText(/Paste an IBM Cloud API key\./);
    await check(view.container);
  });
});
