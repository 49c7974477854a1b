// Users: the database's service credentials, each with its password on request, a form for a
// new Manager or Writer one, and a confirmed delete.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  Button,
  ComposedModal,
  InlineLoading,
  InlineNotification,
  ModalBody,
  ModalFooter,
  ModalHeader,
  RadioButton,
  RadioButtonGroup,
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

import { asAppError, type AppError, type Backend, type CredentialInfo, type CredentialRole } from '../backend';
import { SecretActions } from './SecretActions';
import { invalidProps } from './StepHeading';
import { FIELD, focusLater, said } from './users';

/** `2026-03-02T10:15:00Z` as `2026-03-02 10:15 UTC`; anything else as it came. */
function formatCreated(createdAt: string | null): string {
  if (!createdAt) return 'Unknown';
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) return createdAt;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The credentials IBM Cloud lists for the database, and a form for another. */
export function CredentialsSection({
  backend,
  planId,
  credentials,
  loading,
  error,
  onChanged,
  onRetry,
}: {
  backend: Backend;
  planId: string;
  credentials: CredentialInfo[] | null;
  loading: boolean;
  error: AppError | null;
  onChanged: () => void;
  onRetry: () => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<CredentialRole>('Writer');
  const [nameError, setNameError] = useState<string | null>(null);
  const [createError, setCreateError] = useState<AppError | null>(null);
  const [creating, setCreating] = useState(false);
  const [news, setNews] = useState('');
  const [deleting, setDeleting] = useState<CredentialInfo | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<AppError | null>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (creating) return;
    setCreating(true);
    setNameError(null);
    setCreateError(null);
    setNews('');
    try {
      const made = await backend.createCredential(planId, name, role);
      if (!alive.current) return;
      setName('');
      setNews(`Created ${made.name}. Its password is in your keychain.`);
      onChanged();
    } catch (e) {
      if (!alive.current) return;
      const failure = asAppError(e);
      if (failure.field === FIELD.credentialName) {
        setNameError(said(failure));
        focusLater('credential-name');
      } else setCreateError(failure);
    } finally {
      if (alive.current) setCreating(false);
    }
  };

  const closeDelete = (gone: boolean) => {
    const which = deleting;
    setDeleting(null);
    setDeleteError(null);
    // The modal took focus with it: back to the row's button, or to the section once the row is gone.
    setTimeout(() => {
      const back = !gone && which ? document.getElementById(`credential-delete-${which.guid}`) : null;
      (back ?? document.getElementById('credentials-heading'))?.focus();
    });
  };

  const confirmDelete = async () => {
    if (!deleting || deleteBusy) return;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await backend.deleteCredential(planId, deleting.guid);
      if (!alive.current) return;
      setNews(`Deleted ${deleting.name}. Its password left your keychain.`);
      closeDelete(true);
      onChanged();
    } catch (e) {
      if (alive.current) setDeleteError(asAppError(e));
    } finally {
      if (alive.current) setDeleteBusy(false);
    }
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading" className="onramp-review__heading" tabIndex={-1}>
        Service credentials
      </h2>
      <p className="onramp-step__text">
        A service credential is a database user IBM Cloud makes (named <code>ibmcloud_</code> and 32 letters and
        digits) with a password it shows only once. Onramp keeps the passwords of the credentials it makes in your
        keychain.
      </p>
      {loading && !credentials && <InlineLoading description="Reading the credentials…" />}
      {error && (
        <Stack gap={4}>
          <InlineNotification
            id="credentials-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={error.message}
            subtitle={error.hint ?? undefined}
          />
          <div>
            <Button id="credentials-retry" kind="tertiary" size="md" onClick={onRetry}>
              Try again
            </Button>
          </div>
        </Stack>
      )}
      {credentials && (
        <div
          id="credentials-table"
          className="onramp-users__table"
          tabIndex={0}
          role="region"
          aria-label="Service credentials table"
        >
          <Table size="md" aria-labelledby="credentials-heading">
            <TableHead>
              <TableRow>
                <TableHeader>Name</TableHeader>
                <TableHeader>Role</TableHeader>
                <TableHeader>Database user</TableHeader>
                <TableHeader>Created</TableHeader>
                <TableHeader>Password and actions</TableHeader>
              </TableRow>
            </TableHead>
            <TableBody>
              {credentials.map((c) => (
                <CredentialRow
                  key={c.guid}
                  credential={c}
                  read={() => backend.credentialPassword(planId, c.guid)}
                  copy={() => backend.copyPassword(planId, { kind: 'credential', guid: c.guid })}
                  onDelete={() => {
                    setDeleteError(null);
                    setDeleting(c);
                  }}
                />
              ))}
            </TableBody>
          </Table>
        </div>
      )}

      <form noValidate onSubmit={(e) => void create(e)} aria-labelledby="credential-create-heading">
        <Stack gap={5}>
          <h3 id="credential-create-heading" className="onramp-step__subheading">
            New service credential
          </h3>
          <TextInput
            id="credential-name"
            labelText="Credential name"
            helperText="How IBM Cloud lists it, 1 to 100 characters; IBM Cloud names its database user itself."
            autoComplete="off"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setNameError(null);
            }}
            {...invalidProps('credential-name', nameError ?? undefined)}
          />
          <RadioButtonGroup
            legendText="Role"
            name="credential-role"
            valueSelected={role}
            onChange={(value) => setRole(value as CredentialRole)}
            orientation="vertical"
          >
            <RadioButton
              id="credential-role-manager"
              value="Manager"
              labelText="Manager — An admin-like user: CREATEROLE and CREATEDB, member of ibm_admin and ibm_writer (which bring pg_monitor, pg_signal_backend, read and write all data). Use it to manage users."
            />
            <RadioButton
              id="credential-role-writer"
              value="Writer"
              labelText="Writer — Member of ibm_writer: reads and writes all data; cannot create users or databases. Use it for an application."
            />
          </RadioButtonGroup>
          <div className="onramp-review__toolbar">
            <Button id="credential-create-button" type="submit" kind="primary">
              Create credential
            </Button>
            {creating && <InlineLoading description="Creating the credential…" />}
          </div>
          {createError && (
            <InlineNotification
              id="credential-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={createError.message}
              subtitle={createError.hint ?? undefined}
            />
          )}
          <p id="credential-result" className="onramp-connect__feedback" aria-live="polite">
            {news}
          </p>
        </Stack>
      </form>

      {deleting && (
        <ComposedModal
          open
          danger
          size="sm"
          onClose={() => closeDelete(false)}
          aria-labelledby="credential-delete-title"
        >
          <ModalHeader
            id="credential-delete-title"
            label="Service credential"
            title={`Delete the credential ${deleting.name}?`}
          />
          <ModalBody>
            <Stack gap={4}>
              <p>
                IBM Cloud deletes the credential and drops its database user
                {deleting.user ? (
                  <>
                    {' '}
                    <code>{deleting.user}</code>
                  </>
                ) : null}
                . Its password leaves your keychain, and every app that logs in with it loses access at once.
              </p>
              {deleteError && (
                <InlineNotification
                  kind="error"
                  lowContrast
                  hideCloseButton
                  role="alert"
                  title={deleteError.message}
                  subtitle={deleteError.hint ?? undefined}
                />
              )}
            </Stack>
          </ModalBody>
          <ModalFooter>
            <Button kind="secondary" onClick={() => closeDelete(false)}>
              Keep it
            </Button>
            <Button id="credential-delete-confirm" kind="danger" onClick={() => void confirmDelete()}>
              Delete credential
            </Button>
          </ModalFooter>
        </ComposedModal>
      )}
    </Stack>
  );
}

function CredentialRow({
  credential: c,
  read,
  copy,
  onDelete,
}: {
  credential: CredentialInfo;
  read: () => Promise<string>;
  copy: () => Promise<void>;
  onDelete: () => void;
}) {
  const noCopy = `credential-no-copy-${c.guid}`;
  const own = `credential-own-${c.guid}`;
  return (
    <TableRow data-credential={c.name}>
      <TableCell>
        <span className="onramp-users__name">{c.name}</span>
        {c.plansOwn && (
          <>
            {' '}
            <Tag type="blue" size="sm">
              Onramp uses this one
            </Tag>
          </>
        )}
      </TableCell>
      <TableCell>{c.role ?? 'Not shown'}</TableCell>
      <TableCell className="onramp-users__code onramp-users__name">{c.user ?? 'Unknown'}</TableCell>
      <TableCell>{formatCreated(c.createdAt)}</TableCell>
      <TableCell>
        <Stack gap={3}>
          <SecretActions
            revealId={`credential-reveal-${c.guid}`}
            copyId={`credential-copy-${c.guid}`}
            action="credential"
            who={c.name}
            read={read}
            copy={copy}
            unavailableReason={c.stored ? undefined : noCopy}
          />
          {!c.stored && (
            <p id={noCopy} className="onramp-muted">
              Onramp did not make it, so it has no copy of its password.
            </p>
          )}
          <div>
            <Button
              id={`credential-delete-${c.guid}`}
              data-action="credential-delete"
              kind="danger--ghost"
              size="sm"
              disabled={c.plansOwn}
              aria-describedby={c.plansOwn ? own : undefined}
              onClick={onDelete}
            >
              Delete<span className="cds--visually-hidden"> {c.name}</span>
            </Button>
          </div>
          {c.plansOwn && (
            <p id={own} className="onramp-muted">
              Onramp connects and runs SQL as this one, so it cannot be deleted here; tearing the plan down deletes it.
            </p>
          )}
        </Stack>
      </TableCell>
    </TableRow>
  );
}

