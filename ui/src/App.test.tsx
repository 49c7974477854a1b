// The app as a whole: the stepper, the Account step, the keyboard alone, and axe.
import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { App } from './App';
import { STEPS } from './steps';
import { FakeBackend, GOOD_KEY, LockedKeychainBackend } from './test/fakeBackend';
import { draft, lastChecked, stepButton } from './test/wizard';

async function renderApp(backend = new FakeBackend()) {
  const user = userEvent.setup();
  const view = render(<App backend={backend} />);
  await screen.findByText('Sandbox account');
  return { backend, user, view };
}

describe('the stepper', () => {
  it('shows every step; once signed in, Basics is reachable and the others wait for the plan', async () => {
    const { backend } = await renderApp();
    await waitFor(() => expect(backend.calls).toContain('validatePlan'));
    const nav = screen.getByRole('navigation', { name: 'Steps' });
    for (const step of STEPS) expect(within(nav).getAllByText(step.label).length).toBeGreaterThan(0);
    const disabled = [...nav.querySelectorAll('.cds--progress-step--disabled .cds--progress-label')].map(
      (label) => label.textContent,
    );
    // A new plan has no name yet, so nothing after Basics is reachable.
    expect(disabled).toEqual(STEPS.map((s) => s.label).filter((label) => !['Account', 'Basics'].includes(label)));
    const observability = nav.querySelector('[data-step-id="observability"] title')?.textContent;
    expect(observability).toMatch(/^Observability: finish the steps before it first$/);
    for (const id of ['connectivity', 'connect', 'users', 'done']) {
      const title = nav.querySelector(`[data-step-id="${id}"] title`)?.textContent;
      expect(title).toMatch(/: finish the steps before it first$/);
    }
  });

  it('keeps every step but Account out of reach until an account is connected', async () => {
    const backend = new FakeBackend();
    backend.mode = 'IbmCloud';
    const user = userEvent.setup();
    render(<App backend={backend} />);
    await screen.findByLabelText('IBM Cloud API key');
    const nav = screen.getByRole('navigation', { name: 'Steps' });
    expect(nav.querySelectorAll('.cds--progress-step--disabled')).toHaveLength(STEPS.length - 1);
    const next = screen.getByRole('button', { name: 'Next: Basics' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    expect(screen.getByText('Connect to an account first.')).toBeTruthy();
    expect(backend.calls).not.toContain('planOfferings');

    await user.type(screen.getByLabelText('IBM Cloud API key'), `${GOOD_KEY}{Enter}`);
    await waitFor(() => expect(next.disabled).toBe(false));
    await user.click(next);
    expect(await screen.findByRole('heading', { level: 1, name: 'Basics' })).toBeTruthy();
  });
});

describe('the Account step', () => {
  it('starts in Sandbox mode and shows the sandbox account', async () => {
    const { backend } = await renderApp();
    expect(screen.getByText('0123456789abcdef0123456789abcdef')).toBeTruthy();
    expect((screen.getByLabelText(/Sandbox: a local rehearsal/) as HTMLInputElement).checked).toBe(true);
    // Starting asks for the account once and changes nothing about it (the plan's calls follow).
    const accountCalls = ['accountStatus', 'useSandbox', 'useIbmCloud', 'connectIbmCloud', 'forgetApiKey'];
    expect(backend.calls.filter((c) => accountCalls.includes(c))).toEqual(['accountStatus']);
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

describe('the keyboard', () => {
  it('moves through the wizard with Enter and Tab alone, focus landing on each step’s title', async () => {
    const backend = new FakeBackend();
    backend.draft = draft();
    const user = userEvent.setup();
    render(<App backend={backend} />);
    const next = (await screen.findByRole('button', { name: 'Next: Basics' })) as HTMLButtonElement;
    await waitFor(() => expect(next.disabled).toBe(false));
    next.focus();
    await user.keyboard('{Enter}');
    await screen.findByRole('heading', { level: 1, name: 'Basics' });
    await waitFor(() => expect(document.activeElement?.id).toBe('basics-title'));
    // First the choice between a new database and one the account has, then the name.
    await user.tab();
    expect(document.activeElement?.id).toBe('basics-new');
    await user.tab();
    expect(document.activeElement?.id).toBe('plan-name');

    // The stepper's entries are buttons too.
    stepButton('sizing').focus();
    await user.keyboard('{Enter}');
    await screen.findByRole('heading', { level: 1, name: 'Sizing' });
    await waitFor(() => expect(document.activeElement?.id).toBe('sizing-title'));
    await user.tab();
    expect(document.activeElement?.id).toBe('plan-members-2');
    // (Arrow keys between radios need CSS.escape, which jsdom lacks; Space picks one.)
    document.getElementById('plan-members-3')?.focus();
    await user.keyboard(' ');
    expect((document.getElementById('plan-members-3') as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(lastChecked(backend).members).toBe(3));
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
