// axe-core over each step of the plan, in the states a user meets: errors shown, both
// encryption modes, a review with problems and an unknown price, provisioning and teardown.
import { describe, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';

import type { DraftPlan } from './backend';
import { FakeBackend, KEY_CRN } from './test/fakeBackend';
import { advance, draft, expectNoAxeViolations, fieldError, openStep, renderWizard, typeName } from './test/wizard';

async function withDraft(change: Partial<DraftPlan> = {}) {
  const backend = new FakeBackend();
  backend.draft = draft(change);
  return renderWizard(backend);
}

describe('accessibility of the plan steps', () => {
  it('Basics, with a name error shown', async () => {
    const { user, view } = await renderWizard();
    await openStep(user, 'basics', 'Basics');
    await typeName(user, 'pg/demo');
    await waitFor(() => expect(fieldError('plan-name')).toMatch(/can't contain/));
    expect(screen.getByLabelText('Service name').getAttribute('aria-describedby')).toBe('plan-name-error-msg');
    await expectNoAxeViolations(view.container);
  });

  it('Sizing, with a documented list and errors at the flavor, members and storage', async () => {
    const { user, view } = await withDraft({ location: 'in-che', hostFlavor: 'mx3d.8x80', members: 4, storageGb: 5 });
    await openStep(user, 'sizing', 'Sizing');
    await waitFor(() => expect(fieldError('plan-storage')).toMatch(/you entered 5/));
    expect(fieldError('plan-host-flavor')).toMatch(/not offered in in-che/);
    await expectNoAxeViolations(view.container);
  });

  it('Encryption with the provider-managed key', async () => {
    const { user, view } = await withDraft();
    await openStep(user, 'encryption', 'Encryption');
    await expectNoAxeViolations(view.container);
  });

  it('Encryption with Key Protect, the authorization missing and not to be created', async () => {
    const { user, view } = await withDraft({
      encryption: {
        kind: 'KeyProtect',
        instanceGuid: 'kp-guid-1',
        instanceName: 'onramp-keys',
        region: 'ca-mon',
        keyCrn: KEY_CRN,
        keyName: 'pg-root-key',
        authorization: 'Missing',
      },
    });
    await openStep(user, 'encryption', 'Encryption');
    await screen.findByLabelText(/Create the authorization/);
    await waitFor(() => expect(fieldError('enc-create-authorization')).toMatch(/not authorized/));
    await expectNoAxeViolations(view.container);
  });

  it('Encryption with Key Protect, no key chosen, the authorization present', async () => {
    const backend = new FakeBackend();
    backend.draft = draft();
    backend.encryption.authorization = 'Exists';
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'encryption', 'Encryption');
    await user.click(screen.getByLabelText(/Key Protect key/));
    await screen.findByText('Databases for PostgreSQL is authorized to use Key Protect keys');
    await expectNoAxeViolations(view.container);
  });

  it('Review, with a cloud-only problem and an unknown price', async () => {
    const { user, view } = await withDraft({ name: 'pg-taken', hostFlavor: 'bx3d.48x240' });
    await openStep(user, 'review', 'Review');
    await screen.findByText(/already has a service named 'pg-taken'/);
    await screen.findByText('Price unknown');
    await expectNoAxeViolations(view.container);
  });

  it('Provision while applying, after a failure, and with the teardown preview open', async () => {
    const backend = new FakeBackend();
    backend.draft = draft();
    backend.failures['manager-key'] = { message: 'The broker refused the key.', requestId: 'req-1', field: null, hint: 'Retry.' };
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'review', 'Review');
    const apply = document.getElementById('apply-button') as HTMLButtonElement;
    await waitFor(() => expect(apply.disabled).toBe(false));
    await user.click(apply);
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    await expectNoAxeViolations(view.container);

    advance(backend);
    advance(backend);
    advance(backend);
    await screen.findByText('The broker refused the key.');
    await expectNoAxeViolations(view.container);

    await user.click(screen.getByRole('button', { name: 'Tear down' }));
    await screen.findByText('Onramp deletes these, in this order:');
    await expectNoAxeViolations(view.container);
  });
});
