// Basics, Sizing and Encryption: every rule's message shows at its field as the user types,
// the draft is saved, and an old answer never overwrites a newer one.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';

import type { DraftPlan, Problem } from '../backend';
import { FakeBackend, KEY_CRN } from '../test/fakeBackend';
import { draft, fieldError, lastChecked, next, openStep, renderWizard, typeName, type User } from '../test/wizard';

async function basics(backend = new FakeBackend()) {
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'basics', 'Basics');
  return rendered;
}

/** Opens Sizing through Basics, with a good name. */
async function sizing(backend = new FakeBackend()) {
  const rendered = await basics(backend);
  await typeName(rendered.user, 'pg-demo');
  await openStep(rendered.user, 'sizing', 'Sizing');
  return rendered;
}

async function encryption(backend = new FakeBackend()) {
  const rendered = await sizing(backend);
  await openStep(rendered.user, 'encryption', 'Encryption');
  return rendered;
}

async function setStorage(user: User, text: string) {
  const input = screen.getByLabelText('Storage per member (GB)');
  await user.clear(input);
  if (text) await user.type(input, text);
}

describe('Basics', () => {
  it('starts from a new plan without showing an error before the user typed', async () => {
    const { backend } = await basics();
    expect(backend.calls).toContain('loadDraft');
    expect(backend.calls).toContain('newPlan');
    const name = screen.getByLabelText('Service name');
    expect(name.getAttribute('aria-invalid')).not.toBe('true');
    expect((screen.getByLabelText('Location') as HTMLSelectElement).value).toBe('ca-mon');
    expect((screen.getByLabelText('Resource group') as HTMLSelectElement).value).toBe('rg-default');
    expect(screen.getByRole('option', { name: 'Default (default)' })).toBeTruthy();
    expect(screen.getByText('Only locations that offer Databases for PostgreSQL Gen 2 (standard-gen2)')).toBeTruthy();
  });

  it('shows the name rules’ messages at the field as the user types', async () => {
    const { user } = await basics();
    const cases: [string, RegExp][] = [
      ['pg/demo', /The name can't contain '\/'\. Use letters, digits, spaces and - \. _ :/],
      [' pg', /Remove the space at the start or end of the name\./],
    ];
    for (const [name, message] of cases) {
      await typeName(user, name);
      await waitFor(() => expect(fieldError('plan-name')).toMatch(message));
      expect(screen.getByLabelText('Service name').getAttribute('aria-invalid')).toBe('true');
    }

    await typeName(user, 'x');
    await user.clear(screen.getByLabelText('Service name'));
    await waitFor(() => expect(fieldError('plan-name')).toMatch(/Give the database a name, for example pg-demo\./));

    await user.click(screen.getByLabelText('Service name'));
    await user.paste('a'.repeat(181));
    await waitFor(() =>
      expect(fieldError('plan-name')).toMatch(/The name is 181 characters long; IBM Cloud allows at most 180\./),
    );

    await typeName(user, 'Prod DB: Montréal_1.0');
    await waitFor(() => expect(fieldError('plan-name')).toBeNull());
    expect(screen.getByLabelText('Service name').getAttribute('aria-invalid')).not.toBe('true');
  });

  it('keeps Sizing out of reach while Basics has a problem, and says why under Next', async () => {
    const { user } = await basics();
    const sizingStep = document.querySelector('[data-step-id="sizing"]') as HTMLButtonElement;
    expect(sizingStep.disabled).toBe(true);
    expect(next().disabled).toBe(true);
    const reason = document.getElementById('next-reason') as HTMLElement;
    expect(reason.textContent).toMatch(/Service name \(Basics\)/);
    expect(reason.textContent).toMatch(/Give the database a name/);

    // The reason's link goes to the field and shows its message there.
    await user.click(within(reason).getByRole('button', { name: 'Service name (Basics)' }));
    await waitFor(() => expect(document.activeElement?.id).toBe('plan-name'));
    expect(fieldError('plan-name')).toMatch(/Give the database a name/);

    await typeName(user, 'pg-demo');
    await waitFor(() => expect(next().disabled).toBe(false));
    expect(sizingStep.disabled).toBe(false);
    await user.click(next());
    expect(await screen.findByRole('heading', { level: 1, name: 'Sizing' })).toBeTruthy();
  });

  it('saves the draft once typing pauses, not on every keystroke', async () => {
    const { user, backend } = await basics();
    await typeName(user, 'pg-demo');
    await waitFor(() => expect(backend.draft?.name).toBe('pg-demo'), { timeout: 2000 });
    const saves = backend.calls.filter((c) => c === 'saveDraft').length;
    expect(saves).toBeGreaterThanOrEqual(1);
    expect(saves).toBeLessThan('pg-demo'.length);
  });

  it('reopens the saved draft, showing its problems at once', async () => {
    const backend = new FakeBackend();
    backend.draft = draft({ name: 'bad/name' });
    const { user } = await renderWizard(backend);
    expect(backend.calls).not.toContain('newPlan');
    await openStep(user, 'basics', 'Basics');
    expect((screen.getByLabelText('Service name') as HTMLInputElement).value).toBe('bad/name');
    await waitFor(() => expect(fieldError('plan-name')).toMatch(/can't contain '\/'/));
  });

  it('drops an answer that arrives after the answer to a newer change', async () => {
    class SlowFirst extends FakeBackend {
      async validatePlan(plan: DraftPlan): Promise<Problem[]> {
        const answer = await super.validatePlan(plan);
        // The answer about "slow/" takes longer than the one about "slow" after it.
        if (plan.name === 'slow/') await new Promise((resolve) => setTimeout(resolve, 150));
        return answer;
      }
    }
    const { user } = await basics(new SlowFirst());
    await typeName(user, 'slow/');
    await user.type(screen.getByLabelText('Service name'), '{Backspace}');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fieldError('plan-name')).toBeNull();
    expect(next().disabled).toBe(false);
  });

  it('takes the new location’s smallest flavor and newest version when it lacks the chosen ones', async () => {
    const { user, backend } = await sizing();
    await user.selectOptions(screen.getByLabelText('Host flavor'), 'bx3d.48x240');
    await user.selectOptions(screen.getByLabelText('PostgreSQL version'), '17');
    await openStep(user, 'basics', 'Basics');
    await user.selectOptions(screen.getByLabelText('Location'), 'in-che');
    await openStep(user, 'sizing', 'Sizing');
    expect((screen.getByLabelText('Host flavor') as HTMLSelectElement).value).toBe('bx3d.4x20');
    expect((screen.getByLabelText('PostgreSQL version') as HTMLSelectElement).value).toBe('18');
    expect(fieldError('plan-host-flavor')).toBeNull();
    // in-che's list is the documented one, and the step says so.
    expect(
      screen.getByText("IBM's catalog does not list host flavors for this location; this is the documented list."),
    ).toBeTruthy();
    const last = lastChecked(backend);
    expect([last.location, last.hostFlavor, last.version]).toEqual(['in-che', 'bx3d.4x20', '18']);
  });
});

describe('Sizing', () => {
  it('offers 2 or 3 members (2 by default), the location’s flavors and its versions, newest first', async () => {
    await sizing();
    expect((screen.getByLabelText(/2 members: high availability across two zones/) as HTMLInputElement).checked).toBe(
      true,
    );
    expect(screen.getByLabelText(/3 members: high availability across three zones/)).toBeTruthy();
    expect(screen.getByRole('option', { name: 'bx3d.4x20 — 4 vCPU × 20 GB RAM per member' })).toBeTruthy();
    expect(screen.getAllByRole('option', { name: /vCPU/ })).toHaveLength(6);
    expect((screen.getByLabelText('PostgreSQL version') as HTMLSelectElement).value).toBe('18');
    expect(screen.getByText('Set only at deployment')).toBeTruthy();
    expect(screen.getByText('Disk can grow later but never shrink')).toBeTruthy();
    expect(screen.queryByText(/this is the documented list/)).toBeNull();
  });

  it('sends any whole number of GB and shows the back end’s message for one out of range', async () => {
    const { user, backend } = await sizing();
    await setStorage(user, '5');
    await waitFor(() =>
      expect(fieldError('plan-storage')).toMatch(
        /Storage per member must be a whole number of GB from 10 to 9600 \(you entered 5\)\./,
      ),
    );
    const sent = lastChecked(backend);
    expect(sent.storageGb).toBe(5);

    await setStorage(user, '9601');
    await waitFor(() => expect(fieldError('plan-storage')).toMatch(/\(you entered 9601\)/));

    await setStorage(user, '9600');
    await waitFor(() => expect(fieldError('plan-storage')).toBeNull());
  });

  it('explains storage that is not a whole number at the field, without sending it', async () => {
    const { user, backend } = await sizing();
    await setStorage(user, '');
    await waitFor(() => expect(fieldError('plan-storage')).toMatch(/Enter the storage per member/));
    // A number input holds letters as an empty value: the same local message, never a request.
    await user.type(screen.getByLabelText('Storage per member (GB)'), 'abc');
    expect(fieldError('plan-storage')).toMatch(/a whole number of GB from 10 to 9600/);

    await setStorage(user, '12.5');
    await waitFor(() => expect(fieldError('plan-storage')).toMatch(/whole number of GB.*you entered 12\.5/));
    const storages = backend.sent
      .filter((s) => s.call === 'validatePlan')
      .map((s) => (s.args[0] as DraftPlan).storageGb);
    expect(storages.every((n) => Number.isInteger(n))).toBe(true);
    // It blocks the way on like any other problem.
    expect(next().disabled).toBe(true);
    expect(document.getElementById('next-reason')?.textContent).toMatch(/Storage per member \(Sizing\)/);
  });

  it('shows a draft’s member count and a flavor the location does not offer at their fields', async () => {
    const backend = new FakeBackend();
    backend.draft = draft({ location: 'in-che', hostFlavor: 'mx3d.8x80', members: 5 });
    const { user } = await renderWizard(backend);
    await openStep(user, 'basics', 'Basics');
    await openStep(user, 'sizing', 'Sizing');
    await waitFor(() =>
      expect(fieldError('plan-host-flavor')).toBe(
        'mx3d.8x80 is not offered in in-che. Offered there: bx3d.4x20, bx3d.8x40, bx3d.16x80.',
      ),
    );
    expect(screen.getByRole('option', { name: 'mx3d.8x80 (not offered here)' })).toBeTruthy();
    // Carbon puts a group's message just after its fieldset.
    const members = screen.getByRole('group', { name: 'Members' }).closest('.cds--form-item') as HTMLElement;
    expect(members.textContent).toMatch(/Members must be 2 or 3 \(you chose 5\)/);

    await user.click(screen.getByLabelText(/3 members/));
    await user.selectOptions(screen.getByLabelText('Host flavor'), 'bx3d.8x40');
    await waitFor(() => expect(fieldError('plan-host-flavor')).toBeNull());
    expect(members.textContent).not.toMatch(/Members must be/);
  });
});

describe('Encryption', () => {
  it('uses the provider-managed key by default and goes on to Connectivity', async () => {
    const { backend } = await encryption();
    expect((screen.getByLabelText(/Provider-managed key/) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText(/the instance creates and manages its own key \(LUKS AES-256\)/)).toBeTruthy();
    expect(backend.calls).not.toContain('encryptionOptions');
    await waitFor(() => expect(next().disabled).toBe(false));
    expect(next().textContent).toBe('Next: Connectivity');
  });

  it('asks for a root key, then the authorization, at their fields', async () => {
    const { user, backend } = await encryption();
    await user.click(screen.getByLabelText(/Key Protect key/));
    expect(backend.calls).toContain('encryptionOptions');
    const instance = (await screen.findByLabelText('Key Protect instance')) as HTMLSelectElement;
    // No instance chosen yet (there are two): the key's message shows at the instance.
    await waitFor(() =>
      expect(fieldError('enc-kp-instance')).toBe('Choose a Key Protect root key, or use the provider-managed key.'),
    );
    expect(screen.getByText('Databases for PostgreSQL is not yet authorized to use Key Protect keys.')).toBeTruthy();
    const create = screen.getByLabelText(/Create the authorization before the database/) as HTMLInputElement;
    expect(create.checked).toBe(true);

    await user.selectOptions(instance, 'kp-guid-1');
    await waitFor(() => expect(fieldError('enc-kp-key')).toMatch(/Choose a Key Protect root key/));
    expect(next().disabled).toBe(true);
    expect(document.getElementById('next-reason')?.textContent).toMatch(/Key Protect root key \(Encryption\)/);

    await user.selectOptions(screen.getByLabelText('Root key'), KEY_CRN);
    await waitFor(() => expect(next().disabled).toBe(false));
    const sent = lastChecked(backend);
    expect(sent.encryption).toEqual({
      kind: 'KeyProtect',
      instanceGuid: 'kp-guid-1',
      instanceName: 'onramp-keys',
      region: 'ca-mon',
      keyCrn: KEY_CRN,
      keyName: 'pg-root-key',
      authorization: 'Create',
    });

    await user.click(create);
    await waitFor(() =>
      expect(fieldError('enc-create-authorization')).toMatch(
        /Databases for PostgreSQL is not authorized to use your Key Protect keys/,
      ),
    );
    expect(next().disabled).toBe(true);
    expect((document.querySelector('[data-step-id="review"]') as HTMLButtonElement).disabled).toBe(true);
    const reason = document.getElementById('next-reason') as HTMLElement;
    await user.click(within(reason).getByRole('button', { name: 'Service authorization (Encryption)' }));
    await waitFor(() => expect(document.activeElement?.id).toBe('enc-create-authorization'));
  });

  it('shows why an instance’s keys could not be listed', async () => {
    const { user } = await encryption();
    await user.click(screen.getByLabelText(/Key Protect key/));
    await user.selectOptions(await screen.findByLabelText('Key Protect instance'), 'kp-guid-2');
    expect(await screen.findByText(/Onramp could not list the keys of legacy-keys/)).toBeTruthy();
    expect(screen.getByText(/Key Protect answered 403/)).toBeTruthy();
  });

  it('says so when the authorization exists, and checks again on request', async () => {
    const backend = new FakeBackend();
    backend.encryption.authorization = 'Exists';
    backend.encryption.instances = backend.encryption.instances.slice(0, 1);
    const { user } = await encryption(backend);
    await user.click(screen.getByLabelText(/Key Protect key/));
    expect(await screen.findByText('Databases for PostgreSQL is authorized to use Key Protect keys')).toBeTruthy();
    // The only instance is chosen for the user; the key never is.
    expect((screen.getByLabelText('Key Protect instance') as HTMLSelectElement).value).toBe('kp-guid-1');
    expect((screen.getByLabelText('Root key') as HTMLSelectElement).value).toBe('');
    expect(screen.queryByLabelText(/Create the authorization/)).toBeNull();

    backend.encryption.authorization = 'Missing';
    await user.click(screen.getByRole('button', { name: 'Check again' }));
    expect(await screen.findByLabelText(/Create the authorization/)).toBeTruthy();
    expect(backend.calls.filter((c) => c === 'encryptionOptions')).toHaveLength(2);
  });

  it('shows a failure to list Key Protect instances', async () => {
    class NoKms extends FakeBackend {
      async encryptionOptions(): Promise<never> {
        this.calls.push('encryptionOptions');
        const { BackendError } = await import('../backend');
        throw new BackendError({ code: 'Network', message: 'Key Protect did not answer in time.', hint: 'Try again.' });
      }
    }
    const { user } = await encryption(new NoKms());
    await user.click(screen.getByLabelText(/Key Protect key/));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Key Protect did not answer in time\./);
    // The key's message has no list to sit by, so it shows by the choice.
    const choice = screen.getByRole('group', { name: 'Disk encryption key' }).closest('.cds--form-item');
    expect(choice?.textContent).toMatch(/Choose a Key Protect root key/);
  });
});
