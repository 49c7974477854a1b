// Connectivity: the suggested private path filled in from the region's lists, existing VPCs,
// subnets and keys, each rule's message at its field, the 0.0.0.0/0 warning, choices the
// region lacks, and opting out (which Review accepts).
import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { App } from '../App';
import { BackendError, type ConnectivityOptions, type DraftPlan } from '../backend';
import { FakeBackend, GOOD_KEY } from '../test/fakeBackend';
import {
  connectivity,
  draft,
  fieldError,
  lastChecked,
  next,
  openStep,
  renderWizard,
  stepButton,
  typeName,
  type User,
} from '../test/wizard';
import { OPEN_TO_ALL_WARNING } from './ConnectivityStep';

/** Opens Connectivity on a saved draft (a good private path unless `change` says otherwise). */
async function connectivityStep(change: Partial<DraftPlan> = {}, backend = new FakeBackend()) {
  backend.draft = draft({ connectivity: connectivity(), ...change });
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'connectivity', 'Connectivity');
  await screen.findByLabelText('Image');
  return rendered;
}

/** Opens Connectivity on a new plan, through Basics. */
async function newPlanConnectivity(backend = new FakeBackend()) {
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'basics', 'Basics');
  await typeName(rendered.user, 'pg-demo');
  await openStep(rendered.user, 'connectivity', 'Connectivity');
  await screen.findByLabelText('Image');
  return rendered;
}

const value = (id: string) => (document.getElementById(id) as HTMLInputElement | HTMLSelectElement).value;
const control = (id: string) => document.getElementById(id) as HTMLInputElement;

async function retype(user: User, id: string, text: string) {
  await user.clear(control(id));
  if (text) await user.type(control(id), text);
}

describe('the suggested private path', () => {
  it('fills in the recommended image and the sandbox’s SSH source, and shows no problem', async () => {
    const { backend } = await newPlanConnectivity();
    expect(backend.calls).toContain('connectivityOptions');
    await waitFor(() => expect(value('conn-jump-image')).toBe('ca-mon-image-ubuntu'));
    expect(value('conn-ssh-cidr')).toBe('127.0.0.1/32');
    expect(screen.getByText(/In the sandbox the jump server runs on this computer/)).toBeTruthy();
    expect((control('conn-build') as HTMLInputElement).checked).toBe(true);
    expect([value('conn-vpc-name'), value('conn-subnet-name'), value('conn-subnet-zone'), value('conn-subnet-size')]).toEqual(
      ['onramp-vpc-0000', 'onramp-subnet-0000', 'ca-mon-1', '16'],
    );
    expect([value('conn-key-name'), value('conn-jump-name'), value('conn-jump-profile'), value('conn-vpe-name')]).toEqual([
      'onramp-key-0000',
      'onramp-jump-0000',
      'bx2-2x8',
      'onramp-vpe-0000',
    ]);
    expect(screen.getByRole('option', { name: 'bx2-2x8 · 2 vCPU, 8 GiB' })).toBeTruthy();
    expect(
      screen.getByRole('option', {
        name: 'Ubuntu Linux 24.04 LTS Noble Numbat Minimal Install (amd64) (ibm-ubuntu-24-04-6-minimal-amd64-3)',
      }),
    ).toBeTruthy();
    expect(screen.getByText(/11 usable of 16: IBM reserves 5 addresses in every subnet/)).toBeTruthy();
    expect(screen.getByText(/no “trust this host\?” prompt/)).toBeTruthy();
    expect(screen.getByText(/let the jump server reach it on TCP 5432, and your address reach the jump server on TCP 22/)).toBeTruthy();
    const derived = document.getElementById('conn-derived-names') as HTMLElement;
    for (const name of ['onramp-jump-0000-ip', 'onramp-jump-0000-ssh', 'onramp-jump-0000-postgres', 'onramp-vpe-0000-ip']) {
      expect(within(derived).getByText(name)).toBeTruthy();
    }
    // The context-based restriction is offered, off, as a preview with the doubt in words.
    const restrict = document.getElementById('conn-restrict') as HTMLInputElement;
    expect(restrict.checked).toBe(false);
    expect(screen.getByText(/Gen 2 pages disagree on whether context-based restrictions work/)).toBeTruthy();
    expect(screen.getByText(/A network zone onramp-vpc-0000-zone holding the VPC/)).toBeTruthy();

    await waitFor(() => expect(lastChecked(backend).connectivity).toEqual(connectivity()));
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
    expect(document.querySelectorAll('[aria-invalid="true"]')).toHaveLength(0);
  });

  it('shows a problem only at a field the user touched, on IBM Cloud where the SSH source is unknown', async () => {
    const backend = new FakeBackend();
    backend.mode = 'IbmCloud';
    backend.storedKey = GOOD_KEY;
    const user = userEvent.setup();
    render(<App backend={backend} />);
    await screen.findByText('IBM Cloud account');
    await waitFor(() => expect(backend.calls).toContain('validatePlan'));
    await openStep(user, 'basics', 'Basics');
    await typeName(user, 'pg-demo');
    await openStep(user, 'connectivity', 'Connectivity');
    await screen.findByText(/Onramp does not ask a third-party service for your public address/);
    expect(value('conn-ssh-cidr')).toBe('');
    await retype(user, 'conn-vpc-name', 'team-vpc');
    await waitFor(() => expect(lastChecked(backend).connectivity?.vpc).toEqual({ kind: 'New', name: 'team-vpc' }));
    expect(fieldError('conn-ssh-cidr')).toBeNull();
    // Next says what is missing, and its link shows the message at the field.
    expect(next().disabled).toBe(true);
    const reason = document.getElementById('next-reason') as HTMLElement;
    await user.click(within(reason).getByRole('button', { name: 'Who may SSH to the jump server (Connectivity)' }));
    await waitFor(() => expect(document.activeElement?.id).toBe('conn-ssh-cidr'));
    expect(fieldError('conn-ssh-cidr')).toMatch(/Enter the address allowed to reach the jump server over SSH/);

    await user.type(control('conn-ssh-cidr'), '198.51.100.7/32');
    await waitFor(() => expect(fieldError('conn-ssh-cidr')).toBeNull());
    await waitFor(() => expect(next().disabled).toBe(false));
  });

  it('moves a new subnet and the image to another location’s region', async () => {
    const { user, backend } = await connectivityStep();
    await openStep(user, 'basics', 'Basics');
    await user.selectOptions(screen.getByLabelText('Location'), 'us-east');
    await openStep(user, 'connectivity', 'Connectivity');
    await waitFor(() => expect(value('conn-subnet-zone')).toBe('us-east-1'));
    // Stock images have the same name in every region, not the same id.
    expect(value('conn-jump-image')).toBe('us-east-image-ubuntu');
    expect(lastSent(backend)).toBe('us-east');
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  });
});

function lastSent(backend: FakeBackend) {
  const asked = backend.sent.filter((s) => s.call === 'connectivityOptions');
  return asked[asked.length - 1]?.args[0];
}

describe('existing resources', () => {
  it('uses an existing VPC, subnet and key, and goes back to new ones', async () => {
    const { user, backend } = await connectivityStep();
    await user.click(screen.getByLabelText('Use a VPC in ca-mon'));
    // The region has one VPC, and that VPC one subnet: each is chosen for the user.
    expect(value('conn-vpc-select')).toBe('ca-mon-vpc-default');
    expect(screen.getByRole('option', { name: 'default-vpc (1 subnet)' })).toBeTruthy();
    await user.click(screen.getByLabelText('Use a subnet of the chosen VPC'));
    expect(value('conn-subnet-select')).toBe('ca-mon-subnet-default');
    expect(screen.getByRole('option', { name: 'default-subnet · ca-mon-1 · 10.249.0.0/24 · 248 free' })).toBeTruthy();
    await user.click(screen.getByLabelText('Use a key registered in ca-mon'));
    expect(value('conn-key-select')).toBe('ca-mon-key-laptop');
    expect(screen.getByRole('option', { name: /^laptop \(ed25519, SHA256:8Xo2/ })).toBeTruthy();
    expect(screen.getByText(/You must have this key’s private key file/)).toBeTruthy();
    await waitFor(() =>
      expect(lastChecked(backend).connectivity).toMatchObject({
        vpc: { kind: 'Existing', id: 'ca-mon-vpc-default', name: 'default-vpc' },
        subnet: { kind: 'Existing', id: 'ca-mon-subnet-default', name: 'default-subnet' },
        sshKey: { kind: 'Existing', id: 'ca-mon-key-laptop', name: 'laptop' },
      }),
    );
    expect(document.querySelectorAll('[aria-invalid="true"]')).toHaveLength(0);

    // A new VPC has no subnets: the subnet is a new one again, as it was.
    await user.click(screen.getByLabelText('Create a new VPC'));
    expect(value('conn-vpc-name')).toBe('onramp-vpc-0000');
    expect(value('conn-subnet-name')).toBe('onramp-subnet-0000');
    expect(control('conn-subnet-existing').disabled).toBe(true);
    await user.click(screen.getByLabelText('Let Onramp generate a new key'));
    expect(value('conn-key-name')).toBe('onramp-key-0000');
    await waitFor(() => expect(lastChecked(backend).connectivity).toEqual(connectivity()));
  });

  it('says when the region has no VPC or key to choose', async () => {
    const backend = new FakeBackend();
    backend.regions['ca-mon'].vpcs = [];
    backend.regions['ca-mon'].keys = [];
    await connectivityStep({}, backend);
    expect(control('conn-vpc-existing').disabled).toBe(true);
    expect(screen.getByText('ca-mon has no VPC yet, so Onramp creates one.')).toBeTruthy();
    expect(screen.getByLabelText('Use a key registered in ca-mon (it has none)')).toBeTruthy();
    expect(control('conn-key-existing').disabled).toBe(true);
  });

  it('asks for a VPC and a subnet when there is more than one to choose from', async () => {
    const backend = new FakeBackend();
    backend.regions['ca-mon'].vpcs.push({ id: 'ca-mon-vpc-team', name: 'team-vpc', subnets: [] });
    const { user } = await connectivityStep({}, backend);
    await user.click(screen.getByLabelText('Use a VPC in ca-mon'));
    await waitFor(() => expect(fieldError('conn-vpc-select')).toBe('Choose a VPC, or let Onramp create one.'));
    await user.selectOptions(control('conn-vpc-select'), 'ca-mon-vpc-team');
    await waitFor(() => expect(fieldError('conn-vpc-select')).toBeNull());
    await user.click(screen.getByLabelText('Use a subnet of the chosen VPC'));
    expect(screen.getByRole('option', { name: 'This VPC has no subnet' })).toBeTruthy();
    await waitFor(() => expect(fieldError('conn-subnet-select')).toBe('Choose a subnet, or let Onramp create one.'));
    expect(stepButton('review').disabled).toBe(true);
  });

  it('shows a choice the region does not have at its field', async () => {
    const { user } = await connectivityStep({
      connectivity: connectivity({ vpc: { kind: 'Existing', id: 'us-east-vpc-default', name: 'default-vpc' } }),
    });
    await waitFor(() => expect(fieldError('conn-vpc-select')).toBe('default-vpc is not in ca-mon; choose again.'));
    expect(stepButton('review').disabled).toBe(true);
    await user.selectOptions(control('conn-vpc-select'), 'ca-mon-vpc-default');
    await waitFor(() => expect(fieldError('conn-vpc-select')).toBeNull());
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  });

  it('explains a subnet chosen for a new VPC', async () => {
    const { user } = await connectivityStep({
      connectivity: connectivity({ subnet: { kind: 'Existing', id: 'ca-mon-subnet-default', name: 'default-subnet' } }),
    });
    await waitFor(() =>
      expect(fieldError('conn-subnet-select')).toBe('A new VPC has no subnets yet: let Onramp create the subnet too.'),
    );
    await user.click(screen.getByLabelText('Create a new subnet'));
    await waitFor(() => expect(fieldError('conn-subnet-select')).toBeNull());
    expect(value('conn-subnet-name')).toBe('onramp-subnet-0000');
  });
});

// Each case types into a field and back (dozens of keystrokes, each checked through the rules),
// which on a loaded two-core machine outlasts vitest's default 5 s.
describe('the rules', { timeout: 30_000 }, () => {
  /** Sets each field to a bad value, expects its message at the field, then puts the good value back. */
  async function expectMessages(cases: [string, string, RegExp][]) {
    const { user } = await connectivityStep();
    for (const [id, text, message] of cases) {
      const good = value(id);
      await retype(user, id, text);
      await waitFor(() => expect(fieldError(id)).toMatch(message));
      expect(control(id).getAttribute('aria-invalid')).toBe('true');
      expect(control(id).getAttribute('aria-describedby')).toBe(`${id}-error-msg`);
      expect(stepButton('review').disabled).toBe(true);
      await retype(user, id, good);
      await waitFor(() => expect(fieldError(id)).toBeNull());
    }
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  }

  it('shows each bad name’s message at its field', async () => {
    await expectMessages([
      ['conn-vpc-name', 'Onramp', /VPC names can't contain the capital letter 'O'/],
      ['conn-vpc-name', '', /Give the VPC a name\./],
      ['conn-subnet-name', 'my subnet', /can't contain a space/],
      ['conn-key-name', '-key', /VPC names start with a lowercase letter\./],
      ['conn-jump-name', 'jump_1', /can't contain '_'/],
      ['conn-jump-name', `j${'x'.repeat(54)}`, /The name is 55 characters long; at most 54 are allowed here\./],
      ['conn-vpe-name', 'vpe.db', /can't contain '\.'/],
    ]);
  });

  it('shows each bad SSH source’s message at the field', async () => {
    await expectMessages([
      ['conn-ssh-cidr', '', /Enter the address allowed to reach the jump server over SSH/],
      ['conn-ssh-cidr', '198.51.100.7', /Add the prefix length: 198\.51\.100\.7\/32 allows that one address\./],
      ['conn-ssh-cidr', '198.51.100.7/24', /has host bits set: the block is 198\.51\.100\.0\/24/],
      ['conn-ssh-cidr', '198.51.100.7/33', /'\/33' is not a prefix length/],
    ]);
  });

  it('shows a subnet size that is not a power of two, until a listed one is chosen', async () => {
    const { user } = await connectivityStep({
      connectivity: connectivity({ subnet: { kind: 'New', name: 'onramp-subnet-0000', zone: 'ca-mon-2', addressCount: 24 } }),
    });
    await waitFor(() => expect(fieldError('conn-subnet-size')).toMatch(/power of two from 8 to 65536 addresses \(you entered 24\)/));
    expect(value('conn-subnet-size')).toBe('24');
    await user.selectOptions(control('conn-subnet-size'), '32');
    await waitFor(() => expect(fieldError('conn-subnet-size')).toBeNull());
    expect(screen.getByText(/27 usable of 32/)).toBeTruthy();
    // A zone the region has is kept.
    expect(value('conn-subnet-zone')).toBe('ca-mon-2');
  });

  it('adds the context-based restriction to the plan when asked, and takes it out again', async () => {
    const { user, backend } = await connectivityStep();
    await user.click(screen.getByLabelText(/Let only the VPC onramp-vpc-0000 reach the database/));
    await waitFor(() => expect(lastChecked(backend).connectivity?.restrict).toBe(true));
    await user.click(screen.getByLabelText(/Let only the VPC onramp-vpc-0000 reach the database/));
    await waitFor(() => expect(lastChecked(backend).connectivity?.restrict).toBe(false));
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  });

  it('warns about 0.0.0.0/0 without blocking the plan', async () => {
    const { user, backend } = await connectivityStep();
    await retype(user, 'conn-ssh-cidr', '0.0.0.0/0');
    await waitFor(() => expect(lastChecked(backend).connectivity?.sshCidr).toBe('0.0.0.0/0'));
    expect(document.getElementById('conn-ssh-cidr-warn-msg')?.textContent).toBe(OPEN_TO_ALL_WARNING);
    expect(control('conn-ssh-cidr').getAttribute('aria-describedby')).toBe('conn-ssh-cidr-warn-msg');
    expect(fieldError('conn-ssh-cidr')).toBeNull();
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
  });
});

describe('opting out', () => {
  it('sets the private path to none, says what that means, and restores it on request', async () => {
    const { user, backend } = await connectivityStep();
    await retype(user, 'conn-vpc-name', 'team-vpc');
    await retype(user, 'conn-ssh-cidr', '');
    await waitFor(() => expect(fieldError('conn-ssh-cidr')).toMatch(/Enter the address/));
    // While the path has a problem, Review is out of reach.
    expect(stepButton('review').disabled).toBe(true);
    expect(next().disabled).toBe(true);
    expect(document.getElementById('next-reason')?.textContent).toMatch(/Who may SSH to the jump server \(Connectivity\)/);

    await user.click(screen.getByLabelText('Build a private path to the database (recommended)'));
    await waitFor(() => expect(lastChecked(backend).connectivity).toBeNull());
    expect(document.getElementById('conn-opt-out')?.textContent).toMatch(
      /Gen 2 has only a private endpoint, so without a private path the Connect step cannot reach the database/,
    );
    expect(document.getElementById('conn-vpc-name')).toBeNull();
    await waitFor(() => expect(stepButton('review').disabled).toBe(false));
    expect(next().textContent).toBe('Next: Review');

    await user.click(screen.getByLabelText('Build a private path to the database (recommended)'));
    expect(value('conn-vpc-name')).toBe('team-vpc');
    // What the step fills in is filled in again.
    expect(value('conn-ssh-cidr')).toBe('127.0.0.1/32');
    await waitFor(() => expect(lastChecked(backend).connectivity?.vpc).toEqual({ kind: 'New', name: 'team-vpc' }));
  });

  it('keeps a draft without a private path (from before this step) opted out', async () => {
    const backend = new FakeBackend();
    backend.draft = draft();
    const { user } = await renderWizard(backend);
    await openStep(user, 'connectivity', 'Connectivity');
    await waitFor(() => expect(backend.calls).toContain('connectivityOptions'));
    expect((control('conn-build') as HTMLInputElement).checked).toBe(false);
    expect(document.getElementById('conn-opt-out')).toBeTruthy();
    expect(stepButton('review').disabled).toBe(false);
    await user.click(screen.getByLabelText('Build a private path to the database (recommended)'));
    expect(value('conn-jump-image')).toBe('ca-mon-image-ubuntu');
    await waitFor(() => expect(lastChecked(backend).connectivity).toEqual(connectivity()));
  });
});

describe('loading the region’s lists', () => {
  it('shows a failure with a way to try again', async () => {
    class Flaky extends FakeBackend {
      refusals = 1;
      async connectivityOptions(location: string, planId: string): Promise<ConnectivityOptions> {
        if (this.refusals-- > 0) {
          this.calls.push('connectivityOptions');
          throw new BackendError({ code: 'Network', message: 'The VPC API did not answer in time.', hint: 'Try again.' });
        }
        return super.connectivityOptions(location, planId);
      }
    }
    const backend = new Flaky();
    backend.draft = draft({ connectivity: connectivity() });
    const { user } = await renderWizard(backend);
    await openStep(user, 'connectivity', 'Connectivity');
    expect((await screen.findByText('The VPC API did not answer in time.')).closest('#conn-error')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('Image')).toBeTruthy();
    expect(document.getElementById('conn-error')).toBeNull();
  });
});
