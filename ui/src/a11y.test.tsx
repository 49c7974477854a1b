// axe-core over each step of the plan, in the states a user meets: errors shown, both
// encryption modes, new and existing resources of the private path, a review with problems
// and an unknown price, provisioning and teardown, the way in to the database, and its users.
import { describe, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';

import type { DraftPlan } from './backend';
import { FakeBackend, KEY_CRN } from './test/fakeBackend';
import {
  advance,
  connectivity,
  draft,
  expectNoAxeViolations,
  fieldError,
  openStep,
  provisioned,
  renderWizard,
  typeName,
} from './test/wizard';

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

  it('Connectivity with new resources, a name error and the 0.0.0.0/0 warning', async () => {
    const { user, view } = await withDraft({ connectivity: connectivity({ sshCidr: '0.0.0.0/0' }) });
    await openStep(user, 'connectivity', 'Connectivity');
    await screen.findByLabelText('Image');
    await user.clear(screen.getByLabelText('Name of the new VPC'));
    await user.type(screen.getByLabelText('Name of the new VPC'), 'My VPC');
    await waitFor(() => expect(fieldError('conn-vpc-name')).toMatch(/capital letter 'M'/));
    expect(document.getElementById('conn-ssh-cidr-warn-msg')).toBeTruthy();
    await expectNoAxeViolations(view.container);
  });

  it('Connectivity with an existing VPC, subnet and key, and opted out', async () => {
    const { user, view } = await withDraft({ connectivity: connectivity() });
    await openStep(user, 'connectivity', 'Connectivity');
    await screen.findByLabelText('Image');
    await user.click(screen.getByLabelText('Use a VPC in ca-mon'));
    await user.click(screen.getByLabelText('Use a subnet of the chosen VPC'));
    await user.click(screen.getByLabelText('Use a key registered in ca-mon'));
    await screen.findByLabelText('Registered key');
    await expectNoAxeViolations(view.container);

    await user.click(screen.getByLabelText('Build a private path to the database (recommended)'));
    await screen.findByText('Onramp will build no way to the database.');
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

describe('accessibility of Connect', () => {
  it('with the tunnel open, the doctor failed and a query result', async () => {
    const backend = new FakeBackend();
    backend.doctorFailure = { stage: 'tls', cause: 'the certificate is not valid for this name', fix: 'Use the private host name.' };
    await provisioned(backend);
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'connect', 'Connect');
    await screen.findByText('Private host name');
    await expectNoAxeViolations(view.container);

    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await screen.findByText('Open on 127.0.0.1:54321');
    await waitFor(() => expect(document.getElementById('psql-command')).toBeTruthy());
    await user.click(screen.getByRole('button', { name: 'Run the connection doctor' }));
    await waitFor(() => expect(document.querySelector('[data-stage="query"]')?.getAttribute('data-status')).toBe('skipped'));
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    await screen.findByRole('table');
    await user.click(screen.getByRole('button', { name: 'Copy password' }));
    await screen.findByText(/^Copied\./);
    await expectNoAxeViolations(view.container);
  });

  it('with an SQL error and a key file error', async () => {
    const backend = new FakeBackend();
    await provisioned(backend, {
      connectivity: connectivity({ sshKey: { kind: 'Existing', id: 'ca-mon-key-laptop', name: 'laptop' } }),
    });
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'connect', 'Connect');
    await user.click(await screen.findByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(fieldError('connect-key-file')).toMatch(/choose its private key file/));
    await user.type(screen.getByLabelText('Your private key file'), '/home/ada/.ssh/laptop');
    const box = screen.getByLabelText('SQL');
    await user.clear(box);
    await user.type(box, 'SELECT x');
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    await waitFor(() => expect(fieldError('query-sql')).toMatch(/does not exist/));
    await expectNoAxeViolations(view.container);
  });
});

describe('accessibility of Users', () => {
  async function users(backend = new FakeBackend()) {
    await provisioned(backend);
    const rendered = await renderWizard(backend);
    await openStep(rendered.user, 'users', 'Users');
    return rendered;
  }

  it('loaded, with a password revealed, a user created and the preview shown', async () => {
    const { user, view } = await users();
    await waitFor(() => expect(document.querySelector('#roles-table tr[data-role="ibm_admin"]')).toBeTruthy());
    await waitFor(() => expect(document.querySelector('tr[data-credential="console-made"]')).toBeTruthy());
    await expectNoAxeViolations(view.container);

    const row = document.querySelector('#credentials-table tr[data-credential="onramp-manager"]') as HTMLElement;
    await user.click(row.querySelector('[data-action="credential-reveal"]') as HTMLElement);
    await waitFor(() => expect(row.querySelector('code')).toBeTruthy());
    await user.click(screen.getByLabelText('Show PostgreSQL’s predefined roles (pg_…)'));
    await waitFor(() => expect(document.querySelector('#roles-table tr[data-role="pg_monitor"]')).toBeTruthy());
    await user.type(screen.getByLabelText('User name'), 'grafana');
    await waitFor(() => expect(document.getElementById('sqluser-sql')).toBeTruthy());
    await user.click(document.getElementById('sqluser-create-button') as HTMLElement);
    await screen.findByText('Created grafana. Its password is in your keychain.');
    await user.click(document.getElementById('sqluser-password-type') as HTMLElement);
    await expectNoAxeViolations(view.container);
  });

  it('with the roles unreadable and errors at the fields', async () => {
    const backend = new FakeBackend();
    backend.rolesFailure = {
      code: 'Network',
      message: 'The tunnel to the database is down.',
      hint: 'Run the connection doctor in Connect.',
    };
    const { user, view } = await users(backend);
    await screen.findByText('The tunnel to the database is down.');
    await waitFor(() => expect(document.querySelector('tr[data-credential="console-made"]')).toBeTruthy());
    await user.click(document.getElementById('credential-create-button') as HTMLElement);
    await waitFor(() => expect(fieldError('credential-name')).toBe('Give the credential a name.'));
    await user.type(screen.getByLabelText('User name'), 'pg_x');
    await user.click(document.getElementById('recipe-database-owner') as HTMLElement);
    await user.click(document.getElementById('sqluser-create-button') as HTMLElement);
    await waitFor(() => expect(fieldError('sqluser-name')).toMatch(/reserved/));
    await user.click(document.getElementById('pw-type') as HTMLElement);
    await user.click(document.getElementById('pw-change-button') as HTMLElement);
    await waitFor(() => expect(fieldError('pw-role')).toBeTruthy());
    await expectNoAxeViolations(view.container);
  });

  it('with the delete confirmation open', async () => {
    const { user, view } = await users();
    const row = await waitFor(() => {
      const found = document.querySelector('#credentials-table tr[data-credential="console-made"]');
      expect(found).toBeTruthy();
      return found as HTMLElement;
    });
    await user.click(row.querySelector('[data-action="credential-delete"]') as HTMLElement);
    const dialog = await screen.findByRole('dialog');
    expect(view.container.contains(dialog)).toBe(true);
    await expectNoAxeViolations(view.container);
  });
});
