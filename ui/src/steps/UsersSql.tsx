// Users: SQL made for the user to read first and run as the Manager: a new login role from a
// recipe, and a new password for a login role.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  PasswordInput,
  RadioButton,
  RadioButtonGroup,
  Select,
  SelectItem,
  Stack,
  TextInput,
} from '@carbon/react';

import { asAppError, type AppError, type Backend, type CredentialInfo, type Recipe, type RoleRow } from '../backend';
import { CommandBlock } from './CommandBlock';
import { SecretActions } from './SecretActions';
import { invalidProps } from './StepHeading';
import { FIELD, focusLater, said, type SqlAccess } from './users';

/** How long the SQL preview waits for typing to pause. */
const PREVIEW_DELAY_MS = 200;

type RecipeKind = Recipe['kind'];
/** Each recipe with what it grants, in a sentence a newcomer reads before choosing. */
const RECIPES: { kind: RecipeKind; id: string; label: string }[] = [
  {
    kind: 'Monitoring',
    id: 'recipe-monitoring',
    label:
      'Monitoring: can read PostgreSQL’s statistics and monitoring views (pg_monitor), for dashboards and alerts; cannot read your tables.',
  },
  {
    kind: 'CancelQueries',
    id: 'recipe-cancel-queries',
    label:
      'Cancel queries: can cancel queries and end sessions of other non-superuser users (pg_signal_backend), for whoever is on call.',
  },
  {
    kind: 'ReadOnly',
    id: 'recipe-read-only',
    label: 'Read-only: can read every table, view and sequence in every database (pg_read_all_data), and change nothing.',
  },
  {
    kind: 'ReadWrite',
    id: 'recipe-read-write',
    label:
      'Read-write: can read and write every table in every database (pg_read_all_data and pg_write_all_data), but not change the schema.',
  },
  {
    kind: 'DatabaseOwner',
    id: 'recipe-database-owner',
    label: 'Database owner: owns a new database of its own, so it can create schemas and tables there; nothing elsewhere.',
  },
];

const recipeOf = (kind: RecipeKind, database: string): Recipe =>
  kind === 'DatabaseOwner' ? { kind, database } : { kind };

type PasswordMode = 'generate' | 'type';

/** Who runs the SQL shown: Gen 2 has no admin, so the plan's Manager credential's user does. */
function RunsAs({ id, managerUser, button }: { id: string; managerUser: string | null; button: string }) {
  return (
    <p id={id} className="onramp-step__text">
      Runs as {managerUser ? <code>{managerUser}</code> : 'the Manager’s user'} (the plan’s Manager credential) when you
      press {button}.
    </p>
  );
}

/** A login role from a recipe, its SQL shown as it is typed, its password kept in the keychain. */
export function NewUserSection({
  backend,
  planId,
  managerUser,
  sql,
  onCreated,
}: {
  backend: Backend;
  planId: string;
  managerUser: string | null;
  sql: SqlAccess;
  onCreated: () => void;
}) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<RecipeKind>('Monitoring');
  const [database, setDatabase] = useState('');
  const [mode, setMode] = useState<PasswordMode>('generate');
  const [password, setPassword] = useState('');
  const [preview, setPreview] = useState<string[] | null>(null);
  const [errors, setErrors] = useState<{ name?: string; password?: string; database?: string }>({});
  const [failure, setFailure] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // The statements come from the back end, which quotes as it will when it runs them.
  useEffect(() => {
    if (!name.trim()) {
      setPreview(null);
      return;
    }
    let gone = false;
    const timer = setTimeout(() => {
      backend.previewUserSql(name, recipeOf(kind, database)).then(
        (statements) => !gone && setPreview(statements),
        () => !gone && setPreview(null),
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [backend, name, kind, database]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setErrors({});
    setFailure(null);
    setCreated(null);
    if (mode === 'type' && !password) {
      setErrors({ password: 'Type a password, or let Onramp generate one.' });
      focusLater('sqluser-password');
      return;
    }
    setBusy(true);
    try {
      const typed = mode === 'type' ? password : null;
      await backend.createSqlUser(planId, sql.callKeyFile(), name, recipeOf(kind, database), typed);
      if (!alive.current) return;
      setCreated(name);
      setName('');
      setPassword('');
      onCreated();
    } catch (e) {
      if (!alive.current) return;
      const error = sql.placeKeyError(asAppError(e));
      if (!error) return;
      if (error.field === FIELD.roleName) {
        setErrors({ name: said(error) });
        focusLater('sqluser-name');
      } else if (error.field === FIELD.password && mode === 'type') {
        setErrors({ password: said(error) });
        focusLater('sqluser-password');
      } else if (error.field === FIELD.database && kind === 'DatabaseOwner') {
        setErrors({ database: said(error) });
        focusLater('recipe-database');
      } else setFailure(error);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="sqluser-heading">
      <h2 id="sqluser-heading" className="onramp-review__heading">
        New SQL user
      </h2>
      <p className="onramp-step__text">
        A login role made in SQL, for a person or a tool that needs less than a service credential gives. Choose what it
        is for; Onramp grants only that.
      </p>
      <form noValidate onSubmit={(e) => void create(e)} aria-labelledby="sqluser-heading">
        <Stack gap={5}>
          <TextInput
            id="sqluser-name"
            labelText="User name"
            helperText="Names starting with pg_ or ibm are reserved; at most 63 bytes. Case is kept, because Onramp quotes every name: Mary and mary are two users."
            autoComplete="off"
            spellCheck={false}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setErrors((prev) => ({ ...prev, name: undefined }));
            }}
            {...invalidProps('sqluser-name', errors.name)}
          />
          <RadioButtonGroup
            legendText="What it is for"
            name="sqluser-recipe"
            valueSelected={kind}
            onChange={(value) => {
              setKind(value as RecipeKind);
              setErrors((prev) => ({ ...prev, database: undefined }));
            }}
            orientation="vertical"
          >
            {RECIPES.map((r) => (
              <RadioButton key={r.kind} id={r.id} value={r.kind} labelText={r.label} />
            ))}
          </RadioButtonGroup>
          {kind === 'DatabaseOwner' && (
            <TextInput
              id="recipe-database"
              labelText="Name of the new database"
              helperText="Onramp creates it, owned by the new user. At most 63 bytes; case is kept."
              autoComplete="off"
              spellCheck={false}
              value={database}
              onChange={(e) => {
                setDatabase(e.target.value);
                setErrors((prev) => ({ ...prev, database: undefined }));
              }}
              {...invalidProps('recipe-database', errors.database)}
            />
          )}
          <PasswordChoice
            prefix="sqluser-password"
            generateId="sqluser-password-generate"
            typeId="sqluser-password-type"
            mode={mode}
            onMode={(m) => {
              setMode(m);
              setErrors((prev) => ({ ...prev, password: undefined }));
            }}
            password={password}
            onPassword={(p) => {
              setPassword(p);
              setErrors((prev) => ({ ...prev, password: undefined }));
            }}
            error={errors.password}
          />
          {preview ? (
            <CommandBlock id="sqluser-sql" label="SQL Onramp will run" text={preview.map((s) => `${s};`).join('\n')} />
          ) : (
            <p className="onramp-muted">Type a name to see the SQL Onramp will run.</p>
          )}
          <RunsAs id="sqluser-runs-as" managerUser={managerUser} button="Create user" />
          <div className="onramp-review__toolbar">
            <Button id="sqluser-create-button" type="submit" kind="primary">
              Create user
            </Button>
            {busy && <InlineLoading description="Creating the user…" />}
          </div>
          {failure && (
            <InlineNotification
              id="sqluser-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={failure.message}
              subtitle={failure.hint ?? undefined}
            />
          )}
          <p id="sqluser-result" className="onramp-connect__feedback" aria-live="polite">
            {created && `Created ${created}. Its password is in your keychain.`}
          </p>
          {created && (
            <SecretActions
              key={created}
              revealId="sqluser-reveal"
              copyId="sqluser-copy"
              who={created}
              read={() => backend.sqlUserPassword(planId, created)}
              copy={() => backend.copyPassword(planId, { kind: 'sqlUser', role: created })}
            />
          )}
        </Stack>
      </form>
    </Stack>
  );
}

/** Generate (the default) or type a password; the typed one only while typing is chosen. */
function PasswordChoice({
  prefix,
  generateId,
  typeId,
  mode,
  onMode,
  password,
  onPassword,
  error,
}: {
  prefix: string;
  generateId: string;
  typeId: string;
  mode: PasswordMode;
  onMode: (mode: PasswordMode) => void;
  password: string;
  onPassword: (password: string) => void;
  error: string | undefined;
}) {
  return (
    <>
      <RadioButtonGroup
        legendText="Password"
        name={`${prefix}-mode`}
        valueSelected={mode}
        onChange={(value) => onMode(value as PasswordMode)}
        orientation="vertical"
      >
        <RadioButton
          id={generateId}
          value="generate"
          labelText="Generate a strong password (32 characters, kept in your keychain)"
        />
        <RadioButton id={typeId} value="type" labelText="Type one (also kept in your keychain)" />
      </RadioButtonGroup>
      {mode === 'type' && (
        <PasswordInput
          id={prefix}
          labelText="New password"
          helperText="At least 15 characters, with three of: lowercase, uppercase, digits, symbols; not containing the user’s name."
          autoComplete="new-password"
          spellCheck={false}
          value={password}
          onChange={(e) => onPassword(e.target.value)}
          showPasswordLabel="Show password"
          hidePasswordLabel="Hide password"
          {...invalidProps(prefix, error)}
        />
      )}
    </>
  );
}

/** `ALTER ROLE … WITH PASSWORD` for a login role; the keychain follows once PostgreSQL accepted it. */
export function PasswordSection({
  backend,
  planId,
  roles,
  credentials,
  managerUser,
  sql,
}: {
  backend: Backend;
  planId: string;
  roles: RoleRow[] | null;
  credentials: CredentialInfo[] | null;
  managerUser: string | null;
  sql: SqlAccess;
}) {
  const [chosen, setChosen] = useState('');
  const [mode, setMode] = useState<PasswordMode>('generate');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ role?: string; password?: string }>({});
  const [failure, setFailure] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  // The role changed, and the credential whose stored password changed with it, if any.
  const [changed, setChanged] = useState<{ role: string; guid: string | null } | null>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // Login roles a password belongs to: the service's own and PostgreSQL's are not the user's.
  const logins = (roles ?? []).filter((r) => r.canLogin && (r.kind === 'User' || r.kind === 'Credential'));
  const role = logins.some((r) => r.name === chosen) ? chosen : '';
  // The statement comes from the back end, which quotes it exactly as it will run it.
  const [preview, setPreview] = useState<{ role: string; sql: string } | null>(null);
  useEffect(() => {
    if (!role) return;
    let gone = false;
    backend.previewPasswordSql(role).then(
      (sql) => !gone && setPreview({ role, sql }),
      () => !gone && setPreview(null),
    );
    return () => {
      gone = true;
    };
  }, [backend, role]);
  const credentialOf = (user: string) => credentials?.find((c) => c.stored && c.user === user) ?? null;
  const optionText = (r: RoleRow) => {
    const credential = credentials?.find((c) => c.user === r.name);
    return credential ? `${r.name} (credential ${credential.name})` : r.name;
  };

  const change = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setErrors({});
    setFailure(null);
    setChanged(null);
    if (!role) {
      setErrors({ role: 'Choose the user whose password changes.' });
      focusLater('pw-role');
      return;
    }
    if (mode === 'type' && !password) {
      setErrors({ password: 'Type a password, or let Onramp generate one.' });
      focusLater('pw-password');
      return;
    }
    setBusy(true);
    try {
      await backend.changePassword(planId, sql.callKeyFile(), role, mode === 'type' ? password : null);
      if (!alive.current) return;
      setChanged({ role, guid: credentialOf(role)?.guid ?? null });
      setPassword('');
    } catch (e) {
      if (!alive.current) return;
      const error = sql.placeKeyError(asAppError(e));
      if (!error) return;
      if (error.field === FIELD.roleName) {
        setErrors({ role: said(error) });
        focusLater('pw-role');
      } else if (error.field === FIELD.password && mode === 'type') {
        setErrors({ password: said(error) });
        focusLater('pw-password');
      } else setFailure(error);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const readChanged = () => {
    if (!changed) return Promise.reject(new Error('nothing changed'));
    return changed.guid
      ? backend.credentialPassword(planId, changed.guid)
      : backend.sqlUserPassword(planId, changed.role);
  };
  const copyChanged = () => {
    if (!changed) return Promise.reject(new Error('nothing changed'));
    return backend.copyPassword(
      planId,
      changed.guid ? { kind: 'credential', guid: changed.guid } : { kind: 'sqlUser', role: changed.role },
    );
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="pw-heading">
      <h2 id="pw-heading" className="onramp-review__heading">
        Change a password
      </h2>
      <p className="onramp-step__text">
        Onramp updates your keychain only after PostgreSQL accepted the new password, so it never holds one the database
        refuses. For a service credential’s user, the credential’s password in your keychain changes too; the copy IBM
        Cloud showed when the credential was made does not.
      </p>
      <form noValidate onSubmit={(e) => void change(e)} aria-labelledby="pw-heading">
        <Stack gap={5}>
          <Select
            id="pw-role"
            labelText="User"
            helperText={
              roles
                ? 'Users that can log in: service credentials’ users and those made in SQL.'
                : 'The list comes from the roles above, once Onramp has read them.'
            }
            value={role}
            onChange={(e) => {
              setChosen(e.target.value);
              setErrors((prev) => ({ ...prev, role: undefined }));
            }}
            {...invalidProps('pw-role', errors.role)}
          >
            <SelectItem value="" text="Choose a user" />
            {logins.map((r) => (
              <SelectItem key={r.name} value={r.name} text={optionText(r)} />
            ))}
          </Select>
          <PasswordChoice
            prefix="pw-password"
            generateId="pw-generate"
            typeId="pw-type"
            mode={mode}
            onMode={(m) => {
              setMode(m);
              setErrors((prev) => ({ ...prev, password: undefined }));
            }}
            password={password}
            onPassword={(p) => {
              setPassword(p);
              setErrors((prev) => ({ ...prev, password: undefined }));
            }}
            error={errors.password}
          />
          {role ? (
            preview?.role === role && (
              <CommandBlock id="pw-sql" label="SQL Onramp will run" text={preview.sql} />
            )
          ) : (
            <p className="onramp-muted">Choose a user to see the SQL Onramp will run.</p>
          )}
          <RunsAs id="pw-runs-as" managerUser={managerUser} button="Change password" />
          <div className="onramp-review__toolbar">
            <Button id="pw-change-button" type="submit" kind="primary">
              Change password
            </Button>
            {busy && <InlineLoading description="Changing the password…" />}
          </div>
          {failure && (
            <InlineNotification
              id="pw-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={failure.message}
              subtitle={failure.hint ?? undefined}
            />
          )}
          <p id="pw-result" className="onramp-connect__feedback" aria-live="polite">
            {changed && `Changed the password of ${changed.role}; the keychain holds the new one.`}
          </p>
          {changed && (
            <SecretActions
              key={changed.role}
              revealId="pw-reveal"
              copyId="pw-copy"
              who={changed.role}
              read={readChanged}
              copy={copyChanged}
            />
          )}
        </Stack>
      </form>
    </Stack>
  );
}
