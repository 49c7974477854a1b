// Users: reached like Connect; service credentials (the plan's own Manager kept, a Writer
// made and deleted, passwords revealed only on request), the roles in the tutorial's columns
// (predefined ones on request, a failure with its hint), SQL users from a recipe with the SQL
// shown first, password changes, the own key file shared with Connect, and the keyboard alone.
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';

import { COPIED } from './SecretActions';
import { FakeBackend, FAKE_PASSWORD, MANAGER_USER, CONSOLE_USER } from '../test/fakeBackend';
import { connectivity, fieldError, openStep, provisioned, renderWizard, stepButton, type User } from '../test/wizard';

/** Opens Users on a plan provisioned with a private path, once both tables are read. */
async function users(backend = new FakeBackend(), change: Parameters<typeof provisioned>[1] = {}) {
  const plan = await provisioned(backend, change);
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'users', 'Users');
  await waitFor(() => expect(credentialRow('onramp-manager')).toBeTruthy());
  await waitFor(() => expect(roleRow('ibm_admin')).toBeTruthy());
  return { ...rendered, plan };
}

const text = (id: string) => document.getElementById(id)?.textContent ?? null;
const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const credentialRow = (name: string) => document.querySelector(`#credentials-table tr[data-credential="${name}"]`) as HTMLElement;
const roleRow = (name: string) => document.querySelector(`#roles-table tr[data-role="${name}"]`) as HTMLElement;
const cells = (row: HTMLElement) => [...row.querySelectorAll('td')].map((c) => c.textContent);
/** A roles row as [rolname, …the pg_roles columns, kind]: the kind's tag sits under the name. */
const roleCells = (row: HTMLElement) => {
  const [first, ...rest] = [...row.querySelectorAll('td')];
  const tag = first?.querySelector('.cds--tag')?.textContent ?? null;
  return [first?.firstChild?.textContent ?? null, ...rest.map((c) => c.textContent), tag];
};
const action = (row: HTMLElement, name: string) => row.querySelector(`[data-action="${name}"]`) as HTMLButtonElement;

async function typeInto(user: User, id: string, value: string) {
  const input = el<HTMLInputElement>(id);
  await user.clear(input);
  if (value) await user.type(input, value);
}

describe('reaching Users', () => {
  it('follows Connect with Next, and is out of reach until the plan is provisioned with a way in', async () => {
    const backend = new FakeBackend();
    const plan = await provisioned(backend);
    const { user } = await renderWizard(backend);
    await openStep(user, 'connect', 'Connect');
    await user.click(screen.getByRole('button', { name: 'Next: Users' }));
    await screen.findByRole('heading', { level: 1, name: 'Users' });
    await waitFor(() => expect(document.activeElement?.id).toBe('users-title'));
    expect(screen.getByRole('button', { name: 'Back: Connect' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Next: Observability' })).toBeTruthy();
    await waitFor(() => expect(backend.sent.find((s) => s.call === 'listRoles')?.args).toEqual([plan.id, null, false]));
    expect(backend.sent.find((s) => s.call === 'listCredentials')?.args).toEqual([plan.id]);
  });

  it('stays disabled in the stepper for a plan not yet applied', async () => {
    const { backend } = await renderWizard();
    await waitFor(() => expect(backend.calls).toContain('validatePlan'));
    expect(stepButton('users').disabled).toBe(true);
  });
});

describe('service credentials', () => {
  it('lists the plan’s own Manager first, tagged, and keeps it from being deleted', async () => {
    await users();
    const rows = [...document.querySelectorAll('#credentials-table tbody tr')].map((r) => r.getAttribute('data-credential'));
    expect(rows).toEqual(['onramp-manager', 'console-made']);
    const headers = within(el('credentials-table')).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Name', 'Role', 'Database user', 'Created', 'Password and actions']);

    const own = credentialRow('onramp-manager');
    expect(cells(own).slice(0, 4)).toEqual(['onramp-manager Onramp uses this one', 'Manager', MANAGER_USER, '2026-03-02 10:15 UTC']);
    const ownDelete = action(own, 'credential-delete');
    expect(ownDelete.disabled).toBe(true);
    const why = document.getElementById(ownDelete.getAttribute('aria-describedby') ?? '');
    expect(why?.textContent).toMatch(/^Onramp connects and runs SQL as this one/);
    expect(action(own, 'credential-reveal').disabled).toBe(false);

    const other = credentialRow('console-made');
    expect(within(other).queryByText('Onramp uses this one')).toBeNull();
    expect(action(other, 'credential-delete').disabled).toBe(false);
    for (const name of ['credential-reveal', 'credential-copy']) {
      const button = action(other, name);
      expect(button.disabled).toBe(true);
      expect(document.getElementById(button.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
        'Onramp did not make it, so it has no copy of its password.',
      );
    }
  });

  it('creates a Writer credential: a taken or empty name at the field, then the new row', async () => {
    const { user, backend, plan } = await users();
    expect((el<HTMLInputElement>('credential-role-writer')).checked).toBe(true);
    await user.click(el('credential-create-button'));
    await waitFor(() => expect(fieldError('credential-name')).toBe('Give the credential a name.'));
    await waitFor(() => expect(document.activeElement?.id).toBe('credential-name'));

    await typeInto(user, 'credential-name', 'console-made');
    await user.click(el('credential-create-button'));
    await waitFor(() => expect(fieldError('credential-name')).toBe('This database already has a credential named console-made.'));
    expect(el('credential-name').getAttribute('aria-invalid')).toBe('true');
    expect(credentialRow('console-made')).toBeTruthy();

    await typeInto(user, 'credential-name', 'orders-app');
    expect(fieldError('credential-name')).toBeNull();
    await user.click(el('credential-create-button'));
    await waitFor(() => expect(text('credential-result')).toBe('Created orders-app. Its password is in your keychain.'));
    expect(el('credential-result').getAttribute('aria-live')).toBe('polite');
    await waitFor(() => expect(credentialRow('orders-app')).toBeTruthy());
    expect(cells(credentialRow('orders-app'))[1]).toBe('Writer');
    expect(el<HTMLInputElement>('credential-name').value).toBe('');
    expect(backend.sent.filter((s) => s.call === 'createCredential').map((s) => s.args)).toEqual([
      [plan.id, '', 'Writer'],
      [plan.id, 'console-made', 'Writer'],
      [plan.id, 'orders-app', 'Writer'],
    ]);
    // Its database user shows among the roles, a member of ibm_writer.
    const made = backend.userDb(plan.id).credentials.find((c) => c.name === 'orders-app');
    await waitFor(() => expect(roleRow(made?.user ?? '')).toBeTruthy());
    expect(roleCells(roleRow(made?.user ?? ''))).toEqual([made?.user, 'f', 't', 'f', 'f', 't', '{ibm_writer}', 'Service credential']);
  });

  it('creates a Manager credential when asked', async () => {
    const { user, backend, plan } = await users();
    await typeInto(user, 'credential-name', 'admin-2');
    await user.click(el('credential-role-manager'));
    await user.click(el('credential-create-button'));
    await waitFor(() => expect(credentialRow('admin-2')).toBeTruthy());
    expect(cells(credentialRow('admin-2'))[1]).toBe('Manager');
    const made = backend.userDb(plan.id).credentials.find((c) => c.name === 'admin-2');
    await waitFor(() => expect(roleCells(roleRow(made?.user ?? ''))).toContain('{ibm_admin,ibm_writer}'));
  });

  it('reveals a password only on request, and hides it again', async () => {
    const { user, backend } = await users();
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
    expect(backend.calls).not.toContain('credentialPassword');
    const reveal = action(credentialRow('onramp-manager'), 'credential-reveal');
    expect(reveal.textContent).toBe('Reveal password of onramp-manager');
    await user.click(reveal);
    await waitFor(() => expect(credentialRow('onramp-manager').querySelector('code')?.textContent).toBe(FAKE_PASSWORD));
    expect(reveal.textContent).toBe('Hide password of onramp-manager');
    expect(backend.calls.filter((c) => c === 'credentialPassword')).toHaveLength(1);

    await user.click(reveal);
    expect(reveal.textContent).toBe('Reveal password of onramp-manager');
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);

    // Leaving the step drops it too.
    await user.click(reveal);
    await waitFor(() => expect(document.body.innerHTML).toContain(FAKE_PASSWORD));
    await openStep(user, 'connect', 'Connect');
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
  });

  it('copies a password to the clipboard without showing it', async () => {
    const { user, backend } = await users();
    const row = credentialRow('onramp-manager');
    await user.click(action(row, 'credential-copy'));
    await waitFor(() => expect(within(row).getByText(COPIED)).toBeTruthy());
    expect(backend.clipboard).toBe(FAKE_PASSWORD);
    expect(backend.calls).not.toContain('credentialPassword');
    expect(document.body.innerHTML).not.toContain(FAKE_PASSWORD);
  });

  it('deletes a credential after the user confirms what it costs', async () => {
    const { user, backend, plan } = await users();
    await typeInto(user, 'credential-name', 'short-lived');
    await user.click(el('credential-create-button'));
    await waitFor(() => expect(credentialRow('short-lived')).toBeTruthy());
    const made = backend.userDb(plan.id).credentials.find((c) => c.name === 'short-lived');
    await waitFor(() => expect(roleRow(made?.user ?? '')).toBeTruthy());

    const remove = action(credentialRow('short-lived'), 'credential-delete');
    await user.click(remove);
    let dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Delete the credential short-lived?')).toBeTruthy();
    expect(dialog.textContent).toMatch(/Its password leaves your keychain, and every app that logs in with it loses access/);
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(remove));
    expect(backend.calls).not.toContain('deleteCredential');

    await user.click(remove);
    dialog = await screen.findByRole('dialog');
    const confirm = el<HTMLButtonElement>('credential-delete-confirm');
    expect(confirm.className).toMatch(/cds--btn--danger/);
    await user.click(confirm);
    await waitFor(() => expect(credentialRow('short-lived')).toBeNull());
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(text('credential-result')).toBe('Deleted short-lived. Its password left your keychain.');
    await waitFor(() => expect(roleRow(made?.user ?? '')).toBeNull());
    await waitFor(() => expect(document.activeElement?.id).toBe('credentials-heading'));
  });
});

describe('the roles table', () => {
  it('has the tutorial’s columns, booleans as t and f, and memberof as {a,b}', async () => {
    await users();
    const table = el('roles-table');
    const headers = within(table).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['rolname', 'rolsuper', 'rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolcanlogin', 'memberof']);
    expect(roleCells(roleRow('ibm_admin'))).toEqual([
      'ibm_admin',
      'f',
      't',
      'f',
      'f',
      'f',
      '{pg_checkpoint,pg_create_subscription,pg_monitor,pg_read_all_data,pg_read_all_settings,pg_read_all_stats,pg_signal_backend,pg_stat_scan_tables,pg_write_all_data}',
      'Service’s own',
    ]);
    expect(roleCells(roleRow('ibm_writer'))).toEqual(['ibm_writer', 'f', 't', 'f', 'f', 'f', '{pg_read_all_data,pg_write_all_data}', 'Service’s own']);
    expect(roleCells(roleRow(MANAGER_USER))).toEqual([MANAGER_USER, 'f', 't', 't', 't', 't', '{ibm_admin,ibm_writer}', 'Service credential']);
    expect(roleCells(roleRow(CONSOLE_USER))[6]).toBe('{ibm_writer}');
    expect(roleRow('pg_monitor')).toBeNull();
  });

  it('shows PostgreSQL’s predefined roles when asked', async () => {
    const { user, backend, plan } = await users();
    const box = el<HTMLInputElement>('roles-show-predefined');
    expect(box.checked).toBe(false);
    await user.click(box);
    await waitFor(() => expect(roleRow('pg_monitor')).toBeTruthy());
    expect(roleCells(roleRow('pg_monitor'))).toEqual([
      'pg_monitor',
      'f',
      't',
      'f',
      'f',
      'f',
      '{pg_read_all_settings,pg_read_all_stats,pg_stat_scan_tables}',
      'PostgreSQL predefined',
    ]);
    const asked = backend.sent.filter((s) => s.call === 'listRoles');
    expect(asked[asked.length - 1].args).toEqual([plan.id, null, true]);

    await user.click(box);
    await waitFor(() => expect(roleRow('pg_monitor')).toBeNull());
    await user.click(el('roles-refresh'));
    await waitFor(() => expect(backend.sent.filter((s) => s.call === 'listRoles')).toHaveLength(asked.length + 2));
    expect(roleRow('pg_monitor')).toBeNull();
  });

  it('shows why the roles could not be read, with its hint, and tries again', async () => {
    const backend = new FakeBackend();
    backend.rolesFailure = {
      code: 'Network',
      message: 'The tunnel to the database is down: the jump server stopped answering.',
      hint: 'Run the connection doctor in Connect to see which hop fails.',
    };
    const plan = await provisioned(backend);
    const { user } = await renderWizard(backend);
    await openStep(user, 'users', 'Users');
    await waitFor(() => expect(text('roles-error')).toMatch(/The tunnel to the database is down/));
    expect(text('roles-error')).toMatch(/Run the connection doctor in Connect/);
    expect(el('roles-error').getAttribute('role')).toBe('alert');
    expect(document.getElementById('roles-table')).toBeNull();
    // The credentials come from IBM Cloud, not the tunnel: they are there all the same.
    await waitFor(() => expect(credentialRow('onramp-manager')).toBeTruthy());

    backend.rolesFailure = null;
    await user.click(el('roles-retry'));
    await waitFor(() => expect(roleRow('ibm_admin')).toBeTruthy());
    expect(document.getElementById('roles-error')).toBeNull();
    expect(backend.sent.filter((s) => s.call === 'listRoles').every((s) => s.args[0] === plan.id)).toBe(true);
  });
});

describe('a new SQL user', () => {
  it('shows the SQL of the recipe, quoted as the back end quotes it', async () => {
    const { user, backend } = await users();
    expect(document.getElementById('sqluser-sql')).toBeNull();
    expect(screen.getByText('Type a name to see the SQL Onramp will run.')).toBeTruthy();
    expect(el<HTMLInputElement>('recipe-monitoring').checked).toBe(true);
    expect(text('sqluser-runs-as')).toBe(
      `Runs as ${MANAGER_USER} (the plan’s Manager credential) when you press Create user.`,
    );

    await typeInto(user, 'sqluser-name', 'O"Brien');
    await waitFor(() =>
      expect(text('sqluser-sql')).toBe(
        `CREATE ROLE "O""Brien" WITH LOGIN PASSWORD '********';\nGRANT pg_monitor TO "O""Brien";`,
      ),
    );
    await user.click(el('recipe-read-write'));
    await waitFor(() => expect(text('sqluser-sql')).toMatch(/GRANT pg_read_all_data, pg_write_all_data TO "O""Brien";$/));
    await user.click(el('recipe-cancel-queries'));
    await waitFor(() => expect(text('sqluser-sql')).toMatch(/GRANT pg_signal_backend TO "O""Brien";$/));
    await user.click(el('recipe-read-only'));
    await waitFor(() => expect(text('sqluser-sql')).toMatch(/GRANT pg_read_all_data TO "O""Brien";$/));

    expect(document.getElementById('recipe-database')).toBeNull();
    await user.click(el('recipe-database-owner'));
    await typeInto(user, 'recipe-database', 'orders db');
    await waitFor(() =>
      expect(text('sqluser-sql')).toBe(
        [
          `CREATE ROLE "O""Brien" WITH LOGIN PASSWORD '********';`,
          `GRANT "O""Brien" TO CURRENT_USER;`,
          `CREATE DATABASE "orders db" OWNER "O""Brien";`,
        ].join('\n'),
      ),
    );
    // Typing pauses before the preview is asked for: not once per key.
    const previews = backend.sent.filter((s) => s.call === 'previewUserSql');
    expect(previews.length).toBeLessThan('O"Brien'.length + 'orders db'.length);
    expect(previews[previews.length - 1].args).toEqual(['O"Brien', { kind: 'DatabaseOwner', database: 'orders db' }]);

    await typeInto(user, 'sqluser-name', '');
    await waitFor(() => expect(document.getElementById('sqluser-sql')).toBeNull());
  });

  it('creates a monitoring user with a generated password, and shows it in the roles', async () => {
    const { user, backend, plan } = await users();
    expect(el<HTMLInputElement>('sqluser-password-generate').checked).toBe(true);
    expect(document.getElementById('sqluser-password')).toBeNull();
    await typeInto(user, 'sqluser-name', 'grafana');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(text('sqluser-result')).toBe('Created grafana. Its password is in your keychain.'));
    expect(el('sqluser-result').getAttribute('aria-live')).toBe('polite');
    expect(backend.sent.find((s) => s.call === 'createSqlUser')?.args).toEqual([plan.id, null, 'grafana', { kind: 'Monitoring' }, null]);
    await waitFor(() => expect(roleRow('grafana')).toBeTruthy());
    expect(roleCells(roleRow('grafana'))).toEqual(['grafana', 'f', 't', 'f', 'f', 't', '{pg_monitor}', 'Made in SQL']);
    expect(el<HTMLInputElement>('sqluser-name').value).toBe('');

    const stored = backend.userDb(plan.id).passwords.get('grafana') as string;
    expect(stored).toHaveLength(32);
    expect(document.body.innerHTML).not.toContain(stored);
    await user.click(el('sqluser-reveal'));
    await waitFor(() => expect(text('sqluser-reveal-password')).toBe(stored));
    await user.click(el('sqluser-reveal'));
    expect(document.body.innerHTML).not.toContain(stored);
    await user.click(el('sqluser-copy'));
    await waitFor(() => expect(screen.getByText(COPIED)).toBeTruthy());
    expect(backend.clipboard).toBe(stored);
  });

  it('creates a database owner with a typed password', async () => {
    const { user, backend, plan } = await users();
    await typeInto(user, 'sqluser-name', 'orders');
    await user.click(el('recipe-database-owner'));
    await typeInto(user, 'recipe-database', 'ibmclouddb');
    await user.click(el('sqluser-password-type'));
    await typeInto(user, 'sqluser-password', 'Correct-Horse-42-battery');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(fieldError('recipe-database')).toBe('A database named ibmclouddb already exists.'));
    await waitFor(() => expect(document.activeElement?.id).toBe('recipe-database'));

    await typeInto(user, 'recipe-database', 'orders');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(text('sqluser-result')).toBe('Created orders. Its password is in your keychain.'));
    expect(backend.userDb(plan.id).passwords.get('orders')).toBe('Correct-Horse-42-battery');
    expect((document.getElementById('sqluser-password') as HTMLInputElement | null)?.value ?? '').toBe('');
    await waitFor(() => expect(roleCells(roleRow(MANAGER_USER))[6]).toBe('{ibm_admin,ibm_writer,orders}'));
  });

  it('refuses reserved, taken and long names at the name field, and a weak password at its own', async () => {
    const { user } = await users();
    const refused = async (name: string, message: string | RegExp) => {
      await typeInto(user, 'sqluser-name', name);
      await user.click(el('sqluser-create-button'));
      await waitFor(() => expect(fieldError('sqluser-name')).toMatch(message));
      expect(el('sqluser-name').getAttribute('aria-invalid')).toBe('true');
      expect(text('sqluser-result')).toBe('');
    };
    await refused('', /^Give the user a name\.$/);
    await refused('pg_reader', "Names starting with pg_ are reserved for PostgreSQL's own roles.");
    await refused('IBM_reader', /^Names starting with ibm are reserved/);
    await refused('ibm_writer', /^Names starting with ibm are reserved/);
    await refused('é'.repeat(32), 'The name is 64 bytes long; PostgreSQL keeps only the first 63.');

    await typeInto(user, 'sqluser-name', 'grafana');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(text('sqluser-result')).toMatch(/^Created grafana/));
    await refused('grafana', 'A role named grafana already exists.');

    await typeInto(user, 'sqluser-name', 'reader');
    await user.click(el('sqluser-password-type'));
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(fieldError('sqluser-password')).toBe('Type a password, or let Onramp generate one.'));
    await typeInto(user, 'sqluser-password', 'short1A!');
    expect(fieldError('sqluser-password')).toBeNull();
    await user.click(el('sqluser-create-button'));
    await waitFor(() =>
      expect(fieldError('sqluser-password')).toBe('Use at least 15 characters (8 now), or let Onramp generate one.'),
    );
    expect(el('sqluser-password').getAttribute('aria-invalid')).toBe('true');
    expect(fieldError('sqluser-name')).toBeNull();
  });

  it('shows a refusal of PostgreSQL with its hint', async () => {
    const backend = new FakeBackend();
    backend.sqlFailure = {
      code: 'CloudRejected',
      message: 'PostgreSQL: permission denied to grant role "pg_monitor" (SQLSTATE 42501)',
      hint: "The Manager credential's user lacks this privilege (Gen 2 gives it CREATEROLE and CREATEDB, not superuser).",
    };
    const { user } = await users(backend);
    await typeInto(user, 'sqluser-name', 'grafana');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(text('sqluser-error')).toMatch(/SQLSTATE 42501/));
    expect(text('sqluser-error')).toMatch(/not superuser/);
    expect(fieldError('sqluser-name')).toBeNull();
    expect(text('sqluser-result')).toBe('');
  });
});

describe('changing a password', () => {
  it('lists the login users and changes a SQL user’s password to a generated one', async () => {
    const { user, backend, plan } = await users();
    await typeInto(user, 'sqluser-name', 'grafana');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(roleRow('grafana')).toBeTruthy());
    const before = backend.userDb(plan.id).passwords.get('grafana');

    const select = el<HTMLSelectElement>('pw-role');
    const options = [...select.options].map((o) => o.textContent);
    expect(options).toEqual(['Choose a user', 'grafana', `${CONSOLE_USER} (credential console-made)`, `${MANAGER_USER} (credential onramp-manager)`]);
    expect(document.getElementById('pw-sql')).toBeNull();
    await user.click(el('pw-change-button'));
    await waitFor(() => expect(fieldError('pw-role')).toBe('Choose the user whose password changes.'));

    await user.selectOptions(select, 'grafana');
    await waitFor(() => expect(text('pw-sql')).toBe(`ALTER ROLE "grafana" WITH PASSWORD '********'`));
    // The statement is the back end's, quoted as it will run it.
    expect(backend.sent.find((s) => s.call === 'previewPasswordSql')?.args).toEqual(['grafana']);
    expect(el<HTMLInputElement>('pw-generate').checked).toBe(true);
    await user.click(el('pw-change-button'));
    await waitFor(() => expect(text('pw-result')).toBe('Changed the password of grafana; the keychain holds the new one.'));
    const after = backend.userDb(plan.id).passwords.get('grafana') as string;
    expect(after).not.toBe(before);
    expect(backend.sent.find((s) => s.call === 'changePassword')?.args).toEqual([plan.id, null, 'grafana', null]);
    await user.click(el('pw-reveal'));
    await waitFor(() => expect(text('pw-reveal-password')).toBe(after));
    expect(backend.calls).toContain('sqlUserPassword');
  });

  it('changes a credential’s user’s password to a typed one, refusing a weak one at the field', async () => {
    const { user, backend, plan } = await users();
    await user.selectOptions(el('pw-role'), MANAGER_USER);
    await waitFor(() => expect(text('pw-sql')).toBe(`ALTER ROLE "${MANAGER_USER}" WITH PASSWORD '********'`));
    await user.click(el('pw-type'));
    await typeInto(user, 'pw-password', 'alllowercaseletters');
    await user.click(el('pw-change-button'));
    await waitFor(() => expect(fieldError('pw-password')).toBe('Mix at least three of: lowercase, uppercase, digits, symbols.'));
    await waitFor(() => expect(document.activeElement?.id).toBe('pw-password'));
    expect(text('pw-result')).toBe('');

    await typeInto(user, 'pw-password', 'New-Manager-Pass-2026');
    await user.click(el('pw-change-button'));
    await waitFor(() => expect(text('pw-result')).toBe(`Changed the password of ${MANAGER_USER}; the keychain holds the new one.`));
    const manager = backend.userDb(plan.id).credentials.find((c) => c.plansOwn);
    expect(manager?.password).toBe('New-Manager-Pass-2026');
    expect(el<HTMLInputElement>('pw-password').value).toBe('');
    await user.click(el('pw-reveal'));
    await waitFor(() => expect(text('pw-reveal-password')).toBe('New-Manager-Pass-2026'));
    expect(backend.sent.filter((s) => s.call === 'credentialPassword').map((s) => s.args[1])).toEqual([manager?.guid]);
  });

  it('names a role that went away at the user field', async () => {
    const { user, backend, plan } = await users();
    await typeInto(user, 'sqluser-name', 'temp');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(roleRow('temp')).toBeTruthy());
    await user.selectOptions(el('pw-role'), 'temp');
    // Dropped behind Onramp's back, before the table was read again.
    const db = backend.userDb(plan.id);
    db.roles = db.roles.filter((r) => r.name !== 'temp');
    await user.click(el('pw-change-button'));
    await waitFor(() => expect(fieldError('pw-role')).toBe('There is no role named temp.'));
  });
});

describe('the own key file', () => {
  it('is shared with Connect, and asked for here when missing', async () => {
    const backend = new FakeBackend();
    const path = connectivity({ sshKey: { kind: 'Existing', id: 'ca-mon-key-laptop', name: 'laptop' } });
    const plan = await provisioned(backend, { connectivity: path });
    const { user } = await renderWizard(backend);

    await openStep(user, 'users', 'Users');
    await waitFor(() =>
      expect(fieldError('users-key-file')).toBe('This plan uses your own SSH key: choose its private key file.'),
    );
    expect(document.getElementById('roles-error')).toBeNull();

    await openStep(user, 'connect', 'Connect');
    await user.type(await screen.findByLabelText('Your private key file'), '~/.ssh/laptop');
    await user.click(screen.getByRole('button', { name: 'Next: Users' }));
    await screen.findByRole('heading', { level: 1, name: 'Users' });
    await waitFor(() => expect(roleRow('ibm_admin')).toBeTruthy());
    expect(el<HTMLInputElement>('users-key-file').value).toBe('~/.ssh/laptop');
    const asked = backend.sent.filter((s) => s.call === 'listRoles');
    expect(asked[asked.length - 1].args).toEqual([plan.id, '~/.ssh/laptop', false]);

    await typeInto(user, 'sqluser-name', 'grafana');
    await user.click(el('sqluser-create-button'));
    await waitFor(() => expect(text('sqluser-result')).toMatch(/^Created grafana/));
    expect(backend.sent.find((s) => s.call === 'createSqlUser')?.args[1]).toBe('~/.ssh/laptop');

    // Typed here, it is the one Connect uses too.
    await typeInto(user, 'users-key-file', '~/.ssh/other');
    await openStep(user, 'connect', 'Connect');
    expect(el<HTMLInputElement>('connect-key-file').value).toBe('~/.ssh/other');
  });
});

describe('the keyboard alone', () => {
  it('creates a credential, reveals its password, and creates a SQL user', async () => {
    const { user, backend, plan } = await users();
    el('credential-name').focus();
    await user.keyboard('kbd-app');
    await user.tab();
    expect(document.activeElement?.id).toBe('credential-role-writer');
    await user.keyboard('{ArrowUp}');
    expect(el<HTMLInputElement>('credential-role-manager').checked).toBe(true);
    await user.tab();
    expect(document.activeElement?.id).toBe('credential-create-button');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(credentialRow('kbd-app')).toBeTruthy());
    expect(backend.sent.find((s) => s.call === 'createCredential')?.args).toEqual([plan.id, 'kbd-app', 'Manager']);

    const reveal = action(credentialRow('kbd-app'), 'credential-reveal');
    reveal.focus();
    await user.keyboard('{Enter}');
    const made = backend.userDb(plan.id).credentials.find((c) => c.name === 'kbd-app');
    await waitFor(() => expect(credentialRow('kbd-app').querySelector('code')?.textContent).toBe(made?.password));
    await user.keyboard(' ');
    await waitFor(() => expect(credentialRow('kbd-app').querySelector('code')).toBeNull());
    expect(document.activeElement).toBe(reveal);

    el('sqluser-name').focus();
    await user.keyboard('reader');
    await user.tab();
    expect(document.activeElement?.id).toBe('recipe-monitoring');
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(el<HTMLInputElement>('recipe-read-only').checked).toBe(true);
    await user.tab();
    expect(document.activeElement?.id).toBe('sqluser-password-generate');
    await user.keyboard('{ArrowDown}');
    expect(el<HTMLInputElement>('sqluser-password-type').checked).toBe(true);
    await user.tab();
    expect(document.activeElement?.id).toBe('sqluser-password');
    // Enter in a field submits its form.
    await user.keyboard('Quiet-Library-2026{Enter}');
    await waitFor(() => expect(text('sqluser-result')).toBe('Created reader. Its password is in your keychain.'));
    expect(backend.sent.find((s) => s.call === 'createSqlUser')?.args[3]).toEqual({ kind: 'ReadOnly' });
    await waitFor(() => expect(roleRow('reader')).toBeTruthy());

    el('pw-role').focus();
    await user.selectOptions(el('pw-role'), 'reader');
    await user.tab();
    expect(document.activeElement?.id).toBe('pw-generate');
    await user.tab();
    expect(document.activeElement?.id).toBe('pw-sql-copy');
    await user.tab();
    expect(document.activeElement?.id).toBe('pw-change-button');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(text('pw-result')).toBe('Changed the password of reader; the keychain holds the new one.'));
  });
});
