// Connect: reached from a provisioned plan with a private path; the tunnel and its states,
// the doctor's stages as they stream (and a failure's cause and fix), the first query and an
// SQL error at its box, saving the generated key for OpenSSH, the user's own key file, and
// the password, which goes to the clipboard and never into the page.
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';

import { BackendError, type ConnectionInfo } from '../backend';
import { FakeBackend, FAKE_PASSWORD, FIRST_QUERY } from '../test/fakeBackend';
import { connectivity, draft, fieldError, openStep, provisioned, renderWizard, stepButton } from '../test/wizard';

/** Opens Connect on a plan provisioned with a private path (changed as `change` says). */
async function connect(backend = new FakeBackend(), change: Parameters<typeof provisioned>[1] = {}) {
  const plan = await provisioned(backend, change);
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'connect', 'Connect');
  await screen.findByText('Private host name');
  return { ...rendered, plan };
}

const text = (id: string) => document.getElementById(id)?.textContent ?? null;
const stage = (kind: string) => document.querySelector(`#doctor-stages li[data-stage="${kind}"]`) as HTMLElement;
const stageStatus = (kind: string) => stage(kind)?.getAttribute('data-status');

describe('reaching Connect', () => {
  it('opens from Provision once the plan and its private path are ready', async () => {
    const backend = new FakeBackend();
    const plan = await provisioned(backend);
    const { user } = await renderWizard(backend);
    await openStep(user, 'provision', 'Provision');
    expect(screen.getByText('Your database is active, and so is the private path to it.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Next: Connect' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Connect to the database' }));
    await screen.findByRole('heading', { level: 1, name: 'Connect' });
    await waitFor(() => expect(document.activeElement?.id).toBe('connect-title'));
    await waitFor(() => expect(text('connect-host')).toMatch(/\.private\.databases\.appdomain\.cloud$/));
    expect([text('connect-database'), text('connect-user'), text('connect-jump'), text('connect-vpe')]).toEqual([
      'ibmclouddb',
      'ibm_cloud_00000000',
      '198.51.100.23',
      '10.249.0.5',
    ]);
    expect(text('connect-host-key')).toMatch(/^SHA256:/);
    expect(backend.sent.find((s) => s.call === 'connectionInfo')?.args).toEqual([plan.id, null]);
    // A generated key needs no file from the user.
    expect(document.getElementById('connect-key-file')).toBeNull();
  });

  it('stays out of reach while the plan is applied', async () => {
    const backend = new FakeBackend();
    backend.draft = draft({ connectivity: connectivity() });
    const { user } = await renderWizard(backend);
    await openStep(user, 'review', 'Review');
    const apply = document.getElementById('apply-button') as HTMLButtonElement;
    await waitFor(() => expect(apply.disabled).toBe(false));
    await user.click(apply);
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    expect(stepButton('connect').disabled).toBe(true);
    const next = screen.getByRole('button', { name: 'Next: Connect' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    expect(text('next-reason')).toBe('Connect opens once every resource is ready.');
    act(() => {
      backend.finish();
    });
    await waitFor(() => expect(next.disabled).toBe(false));
  });

  it('shows why the way in cannot be used yet', async () => {
    class NotReady extends FakeBackend {
      async connectionInfo(planId: string, keyFile: string | null): Promise<ConnectionInfo> {
        this.calls.push('connectionInfo');
        void planId;
        void keyFile;
        throw new BackendError({
          code: 'Conflict',
          message: 'The jump server is not ready yet.',
          hint: 'Wait until the Provision step shows every row ready (or resume the plan there).',
        });
      }
    }
    const backend = new NotReady();
    await provisioned(backend);
    const { user } = await renderWizard(backend);
    await openStep(user, 'connect', 'Connect');
    await waitFor(() => expect(text('connect-error')).toMatch(/The jump server is not ready yet\./));
    expect(text('connect-error')).toMatch(/Wait until the Provision step shows every row ready/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('the tunnel', () => {
  it('opens, shows its state and the psql command, follows its changes, and closes', async () => {
    const { user, backend, plan } = await connect();
    const status = () => document.getElementById('tunnel-status') as HTMLElement;
    expect(status().textContent).toBe('Not open');
    expect(document.getElementById('psql-command')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(status().textContent).toBe('Open on 127.0.0.1:54321'));
    expect(status().getAttribute('data-state')).toBe('open');
    expect(status().getAttribute('aria-live')).toBe('polite');
    await waitFor(() => expect(text('psql-command')).toMatch(/^psql 'host=\S+ hostaddr=127\.0\.0\.1 port=54321 /));
    expect(text('psql-command')).toMatch(/sslmode=verify-full/);
    expect(text('connection-string')).toMatch(/^postgresql:\/\/ibm_cloud_00000000@\S+:54321\/ibmclouddb\?hostaddr=127\.0\.0\.1/);
    await waitFor(() => expect(document.activeElement?.id).toBe('tunnel-close-button'));
    await user.click(screen.getByRole('button', { name: 'Copy the psql command' }));
    expect(await navigator.clipboard.readText()).toBe(text('psql-command'));

    act(() => backend.tunnelEvent(plan.id, { state: 'reconnecting' }));
    expect(status().textContent).toBe('Reconnecting…');
    expect(status().getAttribute('data-state')).toBe('reconnecting');
    act(() => backend.tunnelEvent(plan.id, { state: 'closed', reason: { kind: 'idle' } }));
    expect(status().textContent).toBe('Closed: idle for 15 minutes');
    await waitFor(() => expect(document.getElementById('psql-command')).toBeNull());

    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(status().getAttribute('data-state')).toBe('open'));
    act(() => backend.tunnelEvent(plan.id, { state: 'closed', reason: { kind: 'lost', message: 'the jump server stopped answering' } }));
    expect(status().textContent).toBe('Closed: the jump server stopped answering');

    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(status().getAttribute('data-state')).toBe('open'));
    await user.click(screen.getByRole('button', { name: 'Close tunnel' }));
    await waitFor(() => expect(status().textContent).toBe('Closed'));
    expect(backend.calls).toContain('closeTunnel');
    expect(backend.tunnels.size).toBe(0);
  });

  it('shows a tunnel opened before the step was left, and hears of it again', async () => {
    const { user, backend, plan } = await connect();
    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(text('tunnel-status')).toBe('Open on 127.0.0.1:54321'));
    await openStep(user, 'provision', 'Provision');
    await openStep(user, 'connect', 'Connect');
    await waitFor(() => expect(text('tunnel-status')).toBe('Open on 127.0.0.1:54321'));
    act(() => backend.tunnelEvent(plan.id, { state: 'reconnecting' }));
    expect(text('tunnel-status')).toBe('Reconnecting…');
  });
});

describe('the connection doctor', () => {
  it('shows each stage as it runs, then all five passed', async () => {
    const backend = new FakeBackend();
    backend.doctorPause = 'tls';
    const { user } = await connect(backend);
    await user.click(screen.getByRole('button', { name: 'Run the connection doctor' }));
    await waitFor(() => expect(stageStatus('tls')).toBe('running'));
    expect([stageStatus('dns'), stageStatus('tcp'), stageStatus('login'), stageStatus('query')]).toEqual([
      'passed',
      'passed',
      'waiting',
      'waiting',
    ]);
    expect(within(stage('tls')).getByText('Running')).toBeTruthy();
    expect(within(stage('tls')).getByText(/^TLS with .* \(verify-full\)$/)).toBeTruthy();
    const summary = document.getElementById('doctor-summary') as HTMLElement;
    expect(summary.getAttribute('aria-live')).toBe('polite');
    expect(summary.textContent).toBe('Checking: TLS, verify-full…');
    expect((screen.getByRole('button', { name: 'Run the connection doctor' }) as HTMLButtonElement).disabled).toBe(true);

    act(() => backend.releaseDoctor());
    await waitFor(() => expect(stageStatus('query')).toBe('passed'));
    const titles = [...document.querySelectorAll('#doctor-stages li h3')].map((h) => h.textContent);
    expect(titles).toEqual(['Private host name → VPE', 'SSH through the jump server', 'TLS, verify-full', 'Log in', 'SELECT 1']);
    expect(within(stage('login')).getByText('Passed')).toBeTruthy();
    expect(summary.textContent).toBe('Every check passed: the way to the database works.');
  });

  it('stops at a failed stage with its cause and fix, and skips the rest', async () => {
    const backend = new FakeBackend();
    backend.doctorFailure = {
      stage: 'tcp',
      cause: 'the jump server refused the SSH key',
      fix: 'Check that the key registered in the VPC is the one in your keychain.',
    };
    const { user } = await connect(backend);
    await user.click(screen.getByRole('button', { name: 'Run the connection doctor' }));
    await waitFor(() => expect(stageStatus('query')).toBe('skipped'));
    expect([stageStatus('dns'), stageStatus('tcp'), stageStatus('tls'), stageStatus('login')]).toEqual([
      'passed',
      'failed',
      'skipped',
      'skipped',
    ]);
    const failed = stage('tcp');
    expect(within(failed).getByText('Failed')).toBeTruthy();
    expect(within(failed).getByText('The path through the jump VSI to port 5432 is not open.')).toBeTruthy();
    expect(within(failed).getByText('the jump server refused the SSH key')).toBeTruthy();
    expect(failed.textContent).toMatch(/How to fix: Check that the key registered in the VPC is the one in your keychain\./);
    expect(within(stage('login')).getByText('Not run: an earlier stage failed.')).toBeTruthy();
    expect(text('doctor-summary')).toBe(
      'The doctor stopped at “SSH through the jump server”: the jump server refused the SSH key',
    );
  });
});

describe('the first query', () => {
  it('opens the tunnel if needed, then shows the result as a table', async () => {
    const { user, backend } = await connect();
    const box = screen.getByLabelText('SQL') as HTMLTextAreaElement;
    expect(box.value).toBe(FIRST_QUERY);
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    const result = await screen.findByRole('table');
    expect(backend.calls.filter((c) => ['openTunnel', 'runQuery'].includes(c))).toEqual(['openTunnel', 'runQuery']);
    expect(result.closest('#query-result')).toBeTruthy();
    expect(within(result).getByText('1 row(s) in 12 ms')).toBeTruthy();
    const headers = within(result).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['user', 'database', 'server', 'tls', 'cipher']);
    expect(within(result).getByRole('cell', { name: 'TLSv1.3' })).toBeTruthy();
    await waitFor(() => expect(text('tunnel-status')).toBe('Open on 127.0.0.1:54321'));

    await user.clear(box);
    await user.type(box, 'SELECT NULL');
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('columnheader')[0].textContent).toBe('?column?'));
    const cell = within(screen.getByRole('table')).getByRole('cell');
    expect(cell.textContent).toBe('NULL');
    expect(cell.querySelector('.onramp-muted')).toBeTruthy();
    expect(backend.calls.filter((c) => c === 'openTunnel')).toHaveLength(1);
  });

  it('says when the back end stopped a query with no end, and offers to stop one that runs', async () => {
    const { user, backend } = await connect();
    const box = screen.getByLabelText('SQL') as HTMLTextAreaElement;
    await user.clear(box);
    await user.type(box, 'SELECT g FROM generate_series(1, 1000000000) g');
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    const table = await screen.findByRole('table');
    expect(within(table).getByText(/more than 200 rows; Onramp stopped it there/)).toBeTruthy();
    expect(within(table).getAllByRole('row')).toHaveLength(201);

    let release: () => void = () => {};
    backend.runQuery = async () => {
      await new Promise<void>((done) => (release = done));
      return { sql: 'SELECT pg_sleep(30)', columns: [], rows: [], rowCount: 0, stopped: 'You stopped the query.', command: '0 row(s) read', elapsedMs: 300 };
    };
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    await user.click(await screen.findByRole('button', { name: 'Stop the query' }));
    expect(backend.calls).toContain('cancelQuery');
    release();
    expect(await screen.findByText(/You stopped the query\./)).toBeTruthy();
  });

  it('shows an SQL error at the query box', async () => {
    const { user } = await connect();
    const box = screen.getByLabelText('SQL') as HTMLTextAreaElement;
    await user.clear(box);
    await user.type(box, 'SELECT x');
    await user.click(screen.getByRole('button', { name: 'Run query' }));
    await waitFor(() => expect(fieldError('query-sql')).toBe('PostgreSQL: column "x" does not exist (SQLSTATE 42703)'));
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByRole('table')).toBeNull();
    await user.type(box, '1');
    expect(fieldError('query-sql')).toBeNull();
  });
});

describe('OpenSSH', () => {
  it('saves the generated key where the user says, and names it in the ssh command', async () => {
    const { user, backend, plan } = await connect();
    const file = screen.getByLabelText('Private key file for OpenSSH') as HTMLInputElement;
    expect(file.value).toBe('/home/ada/.ssh/onramp-00000000');
    expect(text('ssh-command')).toMatch(/^ssh -i \/home\/ada\/\.ssh\/onramp-00000000 -N -L 127\.0\.0\.1:15432:10\.249\.0\.5:5432 /);
    expect(text('openssh-psql-command')).toMatch(/hostaddr=127\.0\.0\.1 port=15432 /);

    await user.click(screen.getByRole('button', { name: 'Save the key to this file' }));
    await waitFor(() => expect(text('save-key-result')).toBe('Saved to /home/ada/.ssh/onramp-00000000.'));
    expect(backend.savedKeys.get('/home/ada/.ssh/onramp-00000000')).toBe(plan.id);

    await user.clear(file);
    await user.type(file, '~/.ssh/id_ed25519');
    await waitFor(() => expect(text('ssh-command')).toMatch(/^ssh -i \/home\/ada\/\.ssh\/id_ed25519 /));
    await user.click(screen.getByRole('button', { name: 'Save the key to this file' }));
    await waitFor(() =>
      expect(fieldError('ssh-key-file')).toBe(
        '/home/ada/.ssh/id_ed25519 already exists and holds another key; choose another file name.',
      ),
    );
    expect(file.getAttribute('aria-invalid')).toBe('true');
    expect(text('save-key-result')).toBe('');

    await user.clear(file);
    await user.type(file, 'onramp-key');
    await user.click(screen.getByRole('button', { name: 'Save the key to this file' }));
    await waitFor(() => expect(fieldError('ssh-key-file')).toMatch(/Give a full path \(such as ~\/\.ssh\/onramp\)/));
  });

  it('asks for the user’s own key file and sends it with every call that logs in', async () => {
    const backend = new FakeBackend();
    const path = connectivity({ sshKey: { kind: 'Existing', id: 'ca-mon-key-laptop', name: 'laptop' } });
    const { user, plan } = await connect(backend, { connectivity: path });
    expect(document.getElementById('ssh-key-file')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save the key to this file' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() =>
      expect(fieldError('connect-key-file')).toBe('This plan uses your own SSH key: choose its private key file.'),
    );
    expect(text('tunnel-status')).toBe('Not open');

    const file = screen.getByLabelText('Your private key file');
    await user.type(file, '~/.ssh/laptop.pub');
    await user.click(screen.getByRole('button', { name: 'Run the connection doctor' }));
    await waitFor(() => expect(fieldError('connect-key-file')).toMatch(/a \.pub file is the public half/));

    await user.clear(file);
    await user.type(file, '~/.ssh/laptop');
    await user.click(screen.getByRole('button', { name: 'Open tunnel' }));
    await waitFor(() => expect(text('tunnel-status')).toBe('Open on 127.0.0.1:54321'));
    expect(fieldError('connect-key-file')).toBeNull();
    const opened = backend.sent.filter((s) => s.call === 'openTunnel');
    expect(opened[opened.length - 1].args).toEqual([plan.id, '~/.ssh/laptop']);
    await waitFor(() => expect(text('ssh-command')).toMatch(/^ssh -i \/home\/ada\/\.ssh\/laptop /));
  });
});

describe('the password', () => {
  it('goes to the clipboard on request and never into the page', async () => {
    const { user, backend } = await connect();
    expect(backend.calls).not.toContain('copyPassword');
    await user.click(screen.getByRole('button', { name: 'Copy password' }));
    await waitFor(() => expect(text('copy-password-result')).toMatch(/^Copied\..*clears it from the clipboard in a minute/));
    expect(backend.clipboard).toBe(FAKE_PASSWORD);
    expect(backend.calls.filter((c) => c === 'copyPassword')).toHaveLength(1);
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
  });

  it('says so when the clipboard refuses it', async () => {
    const { user, backend } = await connect();
    backend.clipboardRefuses = 'no display';
    await user.click(screen.getByRole('button', { name: 'Copy password' }));
    await waitFor(() =>
      expect(text('copy-password-result')).toMatch(/Onramp could not copy the password: The clipboard refused the password \(no display\)\./),
    );
    expect(backend.clipboard).toBeNull();
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
  });
});
