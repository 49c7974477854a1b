// Users: where a Gen 2 database's users come from (service credentials, roles made in SQL),
// the roles as PostgreSQL reports them, and the forms that make users and change passwords.
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import {
  Button,
  Checkbox,
  InlineLoading,
  InlineNotification,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Tag,
  TextInput,
} from '@carbon/react';

import { asAppError, type AppError, type Backend, type CredentialInfo, type RoleKind, type RoleRow } from '../backend';
import { StepHeading, invalidProps } from './StepHeading';
import { CredentialsSection } from './UsersCredentials';
import { NewUserSection, PasswordSection } from './UsersSql';
import { FIELD, focusLater, said } from './users';

interface Props {
  backend: Backend;
  planId: string;
  /** The user's own private key file, shared with Connect (null until typed, and for a generated key). */
  keyFile: string | null;
  onKeyFile: (path: string) => void;
}

type TagType = 'cool-gray' | 'warm-gray' | 'blue' | 'green';
/** Where each role comes from, in words (never by color alone). */
const KINDS: Record<RoleKind, { text: string; tag: TagType }> = {
  Service: { text: 'Service’s own', tag: 'cool-gray' },
  Credential: { text: 'Service credential', tag: 'blue' },
  User: { text: 'Made in SQL', tag: 'green' },
  Predefined: { text: 'PostgreSQL predefined', tag: 'warm-gray' },
};

/** A boolean as psql prints it. */
const tf = (value: boolean) => (value ? 't' : 'f');

/** Step 9: the database's users: service credentials, the roles PostgreSQL has, new SQL users, passwords. */
export function UsersStep({ backend, planId, keyFile, onKeyFile }: Props) {
  const [credentials, setCredentials] = useState<CredentialInfo[] | null>(null);
  const [credentialsLoading, setCredentialsLoading] = useState(true);
  const [credentialsError, setCredentialsError] = useState<AppError | null>(null);

  const [roles, setRoles] = useState<RoleRow[] | null>(null);
  const [rolesLoading, setRolesLoading] = useState(true);
  const [rolesError, setRolesError] = useState<AppError | null>(null);
  const [predefined, setPredefined] = useState(false);

  const [keyFileError, setKeyFileError] = useState<string | null>(null);

  const alive = useRef(true);
  const credentialsRequest = useRef(0);
  const rolesRequest = useRef(0);
  const showPredefined = useRef(predefined);
  showPredefined.current = predefined;
  const typedKeyFile = useRef(keyFile);
  typedKeyFile.current = keyFile;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  /** What every SQL command is given: the user's own key file, or none (the keychain has the generated one). */
  const callKeyFile = useCallback(() => typedKeyFile.current?.trim() || null, []);

  /** Routes a failure: one about the key file shows at its field, any other is returned. */
  const placeKeyError = useCallback((error: AppError): AppError | null => {
    if (error.field !== FIELD.keyFile) return error;
    setKeyFileError(said(error));
    focusLater('users-key-file');
    return null;
  }, []);

  const loadCredentials = useCallback(async () => {
    const mine = ++credentialsRequest.current;
    setCredentialsLoading(true);
    try {
      const found = await backend.listCredentials(planId);
      if (!alive.current || mine !== credentialsRequest.current) return;
      setCredentials(found);
      setCredentialsError(null);
    } catch (e) {
      if (alive.current && mine === credentialsRequest.current) setCredentialsError(asAppError(e));
    } finally {
      if (alive.current && mine === credentialsRequest.current) setCredentialsLoading(false);
    }
  }, [backend, planId]);

  const loadRoles = useCallback(async () => {
    const mine = ++rolesRequest.current;
    setRolesLoading(true);
    setRolesError(null);
    try {
      const found = await backend.listRoles(planId, callKeyFile(), showPredefined.current);
      if (!alive.current || mine !== rolesRequest.current) return;
      setRoles(found);
      setKeyFileError(null);
    } catch (e) {
      if (!alive.current || mine !== rolesRequest.current) return;
      const error = asAppError(e);
      setRolesError(error);
      // A key file problem is shown at the key file (without taking focus: nobody pressed anything).
      if (error.field === FIELD.keyFile) setKeyFileError(said(error));
    } finally {
      if (alive.current && mine === rolesRequest.current) setRolesLoading(false);
    }
  }, [backend, planId, callKeyFile]);

  useEffect(() => {
    void loadCredentials();
    void loadRoles();
  }, [loadCredentials, loadRoles]);

  const rolesFailure = rolesError && rolesError.field !== FIELD.keyFile ? rolesError : null;

  const managerUser = credentials?.find((c) => c.plansOwn)?.user ?? null;
  const sql = { callKeyFile, placeKeyError };

  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="users-title">
      <Stack gap={7}>
        <StepHeading step="users">
          A Gen 2 database has no admin user. Its users come from two places: service credentials, which IBM Cloud
          makes with the Manager or Writer role, and roles made in SQL by a Manager. A password changes only with ALTER
          ROLE; Onramp keeps the passwords it makes in your keychain.
        </StepHeading>

        {(keyFile !== null || keyFileError) && (
          <TextInput
            id="users-key-file"
            labelText="Your private key file"
            helperText="This plan logs in with your own SSH key: give the full path of its private half, such as ~/.ssh/id_ed25519 (the same file as in Connect). Onramp reads it only to open the tunnel."
            autoComplete="off"
            spellCheck={false}
            value={keyFile ?? ''}
            onChange={(e) => {
              onKeyFile(e.target.value);
              setKeyFileError(null);
            }}
            {...invalidProps('users-key-file', keyFileError ?? undefined)}
          />
        )}

        <CredentialsSection
          backend={backend}
          planId={planId}
          credentials={credentials}
          loading={credentialsLoading}
          error={credentialsError}
          onChanged={() => {
            void loadCredentials();
            void loadRoles();
          }}
          onRetry={() => void loadCredentials()}
        />

        <Stack gap={5} as="section" aria-labelledby="roles-heading">
          <h2 id="roles-heading" className="onramp-review__heading">
            Roles as the database sees them
          </h2>
          <p className="onramp-step__text">
            What PostgreSQL’s <code>pg_roles</code> says, read as the Manager through the tunnel, in the columns of
            IBM’s tutorial. As in psql, <code>t</code> is true and <code>f</code> false; <code>memberof</code> lists the
            roles each one is a member of, and so has the privileges of.
          </p>
          <div className="onramp-review__toolbar">
            <Button id="roles-refresh" kind="tertiary" size="md" onClick={() => void loadRoles()}>
              Refresh
            </Button>
            <Checkbox
              id="roles-show-predefined"
              labelText="Show PostgreSQL’s predefined roles (pg_…)"
              checked={predefined}
              onChange={(_, { checked }) => {
                showPredefined.current = checked;
                setPredefined(checked);
                void loadRoles();
              }}
            />
            {rolesLoading && <InlineLoading description="Reading the roles…" />}
          </div>
          {rolesFailure && (
            <Stack gap={4}>
              <InlineNotification
                id="roles-error"
                kind="error"
                lowContrast
                hideCloseButton
                role="alert"
                title={rolesFailure.message}
                subtitle={rolesFailure.hint ?? undefined}
              />
              <div>
                <Button id="roles-retry" kind="tertiary" size="md" onClick={() => void loadRoles()}>
                  Try again
                </Button>
              </div>
            </Stack>
          )}
          {rolesError && !rolesFailure && (
            <p className="onramp-muted">
              Onramp reads the roles through the tunnel: give your private key file above, then refresh.
            </p>
          )}
          {roles && <RolesTable roles={roles} />}
        </Stack>

        <NewUserSection
          backend={backend}
          planId={planId}
          managerUser={managerUser}
          sql={sql}
          onCreated={() => void loadRoles()}
        />

        <PasswordSection
          backend={backend}
          planId={planId}
          roles={roles}
          credentials={credentials}
          managerUser={managerUser}
          sql={sql}
        />
      </Stack>
    </section>
  );
}

/** `pg_roles` as psql would print it, with where each role comes from. */
function RolesTable({ roles }: { roles: RoleRow[] }) {
  return (
    // Focusable, so a keyboard can scroll it sideways when it is wider than the step.
    <div id="roles-table" className="onramp-users__table" tabIndex={0} role="region" aria-label="pg_roles table">
      <Table size="sm" aria-labelledby="roles-heading">
        <TableHead>
          <TableRow>
            {['rolname', 'rolsuper', 'rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolcanlogin', 'memberof'].map(
              (column) => (
                <TableHeader key={column}>
                  <span className="onramp-users__code">{column}</span>
                </TableHeader>
              ),
            )}
          </TableRow>
        </TableHead>
        <TableBody>
          {roles.map((r) => (
            <TableRow key={r.name} data-role={r.name}>
              <TableCell className="onramp-users__code onramp-users__name">
                {r.name}
                {/* Where the role comes from, under its name so it shows without scrolling. */}
                <div>
                  <Tag type={KINDS[r.kind].tag} size="sm">
                    {KINDS[r.kind].text}
                  </Tag>
                </div>
              </TableCell>
              <TableCell className="onramp-users__code onramp-users__flag">{tf(r.superuser)}</TableCell>
              <TableCell className="onramp-users__code onramp-users__flag">{tf(r.inherit)}</TableCell>
              <TableCell className="onramp-users__code onramp-users__flag">{tf(r.createRole)}</TableCell>
              <TableCell className="onramp-users__code onramp-users__flag">{tf(r.createDb)}</TableCell>
              <TableCell className="onramp-users__code onramp-users__flag">{tf(r.canLogin)}</TableCell>
              <TableCell className="onramp-users__code">
                {/* Breaks only after a comma, as psql's {a,b} reads best. */}
                <div className="onramp-users__members">
                {'{'}
                {r.memberOf.map((m, i) => (
                  <Fragment key={m}>
                    {i > 0 && (
                      <>
                        ,<wbr />
                      </>
                    )}
                    {m}
                  </Fragment>
                ))}
                {'}'}
                </div>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

