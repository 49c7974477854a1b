import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Button,
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
  TextArea,
  TextInput,
} from '@carbon/react';

import {
  asAppError,
  type AppError,
  type Backend,
  type ConnectionInfo,
  type QueryResult,
  type Stage,
  type StageKind,
  type StageStatus,
  type TunnelStatus,
} from '../backend';
import { CommandBlock } from './CommandBlock';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  backend: Backend;
  planId: string;
  /** The user's own private key file, shared with Users (null until typed). */
  keyFile: string | null;
  onKeyFile: (path: string) => void;
}

/** The back end's fields for the Connect step's inputs. */
const KEY_FILE_FIELD = 'connect.keyFile';
const QUERY_FIELD = 'connect.query';
/** How long the key file's path waits for typing to pause before the commands are rebuilt. */
const KEY_FILE_DELAY_MS = 400;

const STAGES: StageKind[] = ['dns', 'tcp', 'tls', 'login', 'query'];
const STAGE_TITLES: Record<StageKind, string> = {
  dns: 'Private host name → VPE',
  tcp: 'SSH through the jump server',
  tls: 'TLS, verify-full',
  login: 'Log in',
  query: 'SELECT 1',
};

/** A stage as the list shows it: not reached yet while the doctor runs, else as reported. */
type StageRow = Omit<Stage, 'status'> & { status: StageStatus | 'waiting' };

type TagType = 'gray' | 'warm-gray' | 'blue' | 'green' | 'red';
/** Each status in words and a sign (never by color alone), and a color that agrees. */
const STAGE_STATUS: Record<StageRow['status'], { text: string; sign: string; tag: TagType }> = {
  waiting: { text: 'Waiting', sign: '○', tag: 'gray' },
  running: { text: 'Running', sign: '…', tag: 'blue' },
  passed: { text: 'Passed', sign: '✓', tag: 'green' },
  failed: { text: 'Failed', sign: '✕', tag: 'red' },
  skipped: { text: 'Skipped', sign: '–', tag: 'warm-gray' },
};

/** An error's message and hint, as one sentence for a field. */
const said = (error: AppError) => [error.message, error.hint].filter(Boolean).join(' ');

function tunnelText(status: TunnelStatus | null, port: number | null): string {
  if (!status) return 'Not open';
  switch (status.state) {
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return port ? `Open on 127.0.0.1:${port}` : 'Open';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'closed':
      if (status.reason.kind === 'idle') return 'Closed: idle for 15 minutes';
      if (status.reason.kind === 'lost') return `Closed: ${status.reason.message}`;
      return 'Closed';
  }
}

/** What the doctor's live region says: the stage it is on, or how it ended. */
function doctorSummary(stages: StageRow[] | null, running: boolean): string {
  if (!stages) return '';
  const failed = stages.find((s) => s.status === 'failed');
  if (failed) return `The doctor stopped at “${STAGE_TITLES[failed.kind]}”: ${failed.cause ?? failed.detail}`;
  const current = stages.find((s) => s.status === 'running');
  if (running) return current ? `Checking: ${STAGE_TITLES[current.kind]}…` : 'Checking…';
  const skipped = stages.filter((s) => s.status === 'skipped').length;
  return skipped > 0
    ? `Every check that could run passed (${skipped} skipped, as said below).`
    : 'Every check passed: the way to the database works.';
}

type CopyState = null | { state: 'copying' } | { state: 'copied' } | { state: 'failed'; message: string };

/** Step 8: a tunnel to the private database, a check of each hop, the commands, a first query. */
export function ConnectStep({ backend, planId, keyFile, onKeyFile }: Props) {
  const [info, setInfo] = useState<ConnectionInfo | null>(null);
  const [infoError, setInfoError] = useState<AppError | null>(null);
  const [loadingInfo, setLoadingInfo] = useState(true);
  // Where to save the generated key for OpenSSH, null until typed (the back end suggests one).
  // The user's own key file is `keyFile`, held above this step.
  const [savePath, setSavePath] = useState<string | null>(null);
  const [keyFileError, setKeyFileError] = useState<string | null>(null);

  const [tunnelStatus, setTunnelStatus] = useState<TunnelStatus | null>(null);
  const [tunnelPort, setTunnelPort] = useState<number | null>(null);
  const [tunnelBusy, setTunnelBusy] = useState(false);
  const [tunnelError, setTunnelError] = useState<AppError | null>(null);

  const [stages, setStages] = useState<StageRow[] | null>(null);
  const [doctorRunning, setDoctorRunning] = useState(false);
  const [doctorError, setDoctorError] = useState<AppError | null>(null);

  const [sql, setSql] = useState<string | null>(null);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [queryRunning, setQueryRunning] = useState(false);
  const [queryMessage, setQueryMessage] = useState<string | null>(null);
  const [queryError, setQueryError] = useState<AppError | null>(null);

  const [saving, setSaving] = useState(false);
  const [savedTo, setSavedTo] = useState<string | null>(null);
  const [copy, setCopy] = useState<CopyState>(null);

  const alive = useRef(true);
  const infoRequest = useRef(0);
  // Each open gets a generation: news from an older tunnel's channel is not about this one.
  const tunnelGeneration = useRef(0);
  const openButton = useRef<HTMLButtonElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  // What the OpenSSH commands name. Only one of the two is ever typed: the own key file is
  // asked for only when the plan uses the user's key, the save path only when it does not.
  const typedKeyFile = useRef<string | null>(null);
  typedKeyFile.current = keyFile ?? savePath;

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  /** Reads the connection again (the commands change with the tunnel and the key file). */
  const refresh = useCallback(async () => {
    const mine = ++infoRequest.current;
    try {
      const found = await backend.connectionInfo(planId, typedKeyFile.current?.trim() || null);
      if (!alive.current || mine !== infoRequest.current) return null;
      setInfo(found);
      setInfoError(null);
      return found;
    } catch (e) {
      if (alive.current && mine === infoRequest.current) setInfoError(asAppError(e));
      return null;
    } finally {
      if (alive.current && mine === infoRequest.current) setLoadingInfo(false);
    }
  }, [backend, planId]);

  const listen = useCallback(
    (generation: number, heard: { any: boolean }) => (status: TunnelStatus) => {
      if (!alive.current || generation !== tunnelGeneration.current) return;
      heard.any = true;
      setTunnelStatus(status);
      if (status.state === 'closed') void refresh();
    },
    [refresh],
  );

  useEffect(() => {
    void (async () => {
      const found = await refresh();
      const open = found?.tunnel;
      if (!open || open.status.state === 'closed') return;
      // A tunnel opened before the step was left: show it and hear of it again.
      setTunnelPort(open.localPort);
      setTunnelStatus(open.status);
      const generation = ++tunnelGeneration.current;
      await backend.openTunnel(planId, null, listen(generation, { any: false })).catch(() => undefined);
    })();
  }, [backend, planId, refresh, listen]);

  // The OpenSSH commands name the key file: rebuild them once typing pauses.
  const typed = keyFile ?? savePath;
  useEffect(() => {
    if (typed === null) return;
    const timer = setTimeout(() => void refresh(), KEY_FILE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, refresh]);

  const ownKey = info?.ownKey ?? false;
  /** What open, doctor and query are given: the user's own key file, or none (the keychain has it). */
  const callKeyFile = () => (ownKey ? keyFile?.trim() || null : null);

  /** Routes a failure: one about the key file shows at its field, any other is returned. */
  const placeKeyError = (error: AppError): AppError | null => {
    if (error.field !== KEY_FILE_FIELD) return error;
    setKeyFileError(said(error));
    return null;
  };

  const openTunnel = async (): Promise<AppError | null> => {
    setTunnelBusy(true);
    setTunnelError(null);
    setKeyFileError(null);
    const generation = ++tunnelGeneration.current;
    const heard = { any: false };
    try {
      const opened = await backend.openTunnel(planId, callKeyFile(), listen(generation, heard));
      if (!alive.current) return null;
      setTunnelPort(opened.localPort);
      // The channel may already have said something newer than this first answer.
      if (!heard.any) setTunnelStatus(opened.status);
      void refresh();
      return null;
    } catch (e) {
      return alive.current ? placeKeyError(asAppError(e)) : null;
    } finally {
      if (alive.current) setTunnelBusy(false);
    }
  };

  const onOpen = async () => {
    const failure = await openTunnel();
    if (!alive.current) return;
    if (failure) setTunnelError(failure);
    // The open button is disabled now: keep the keyboard user's place on the close button.
    else setTimeout(() => closeButton.current?.focus());
  };

  const onClose = async () => {
    setTunnelBusy(true);
    setTunnelError(null);
    try {
      await backend.closeTunnel(planId);
      if (!alive.current) return;
      tunnelGeneration.current += 1;
      setTunnelStatus({ state: 'closed', reason: { kind: 'by_user' } });
      void refresh();
      setTimeout(() => openButton.current?.focus());
    } catch (e) {
      if (alive.current) setTunnelError(asAppError(e));
    } finally {
      if (alive.current) setTunnelBusy(false);
    }
  };

  const runDoctor = async () => {
    setDoctorRunning(true);
    setDoctorError(null);
    setKeyFileError(null);
    setStages(STAGES.map((kind) => ({ kind, status: 'waiting', detail: '', cause: null, fix: null })));
    try {
      const report = await backend.runDoctor(planId, callKeyFile(), (stage) => {
        if (alive.current) setStages((prev) => prev && prev.map((s) => (s.kind === stage.kind ? stage : s)));
      });
      if (alive.current) setStages(report.stages);
    } catch (e) {
      if (!alive.current) return;
      setStages(null);
      setDoctorError(placeKeyError(asAppError(e)));
    } finally {
      if (alive.current) setDoctorRunning(false);
    }
  };

  const query = sql ?? info?.firstQuery ?? '';
  const tunnelOpen = tunnelStatus !== null && tunnelStatus.state !== 'closed';

  const runQuery = async () => {
    setQueryRunning(true);
    setQueryMessage(null);
    setQueryError(null);
    try {
      if (!tunnelOpen) {
        const failure = await openTunnel();
        if (failure) {
          if (alive.current) setQueryError(failure);
          return;
        }
        if (!alive.current) return;
      }
      const found = await backend.runQuery(planId, callKeyFile(), query);
      if (alive.current) setResult(found);
    } catch (e) {
      if (!alive.current) return;
      const error = asAppError(e);
      if (error.field === QUERY_FIELD) setQueryMessage(said(error));
      else setQueryError(placeKeyError(error));
    } finally {
      if (alive.current) setQueryRunning(false);
    }
  };

  const saveKey = async (path: string) => {
    setSaving(true);
    setSavedTo(null);
    setKeyFileError(null);
    try {
      const written = await backend.saveSshKey(planId, path);
      if (alive.current) setSavedTo(written);
    } catch (e) {
      if (alive.current) setKeyFileError(said(asAppError(e)));
    } finally {
      if (alive.current) setSaving(false);
    }
  };

  const copyPassword = async () => {
    setCopy({ state: 'copying' });
    // The back end copies it from the keychain: the password never comes to the window.
    try {
      await backend.copyPassword(planId, { kind: 'manager' });
      if (alive.current) setCopy({ state: 'copied' });
    } catch (e) {
      const message = `Onramp could not copy the password: ${said(asAppError(e))} You can copy it from IBM Cloud’s service credentials.`;
      if (alive.current) setCopy({ state: 'failed', message });
    }
  };

  const keyFileValue = ownKey ? (keyFile ?? '') : (savePath ?? info?.defaultKeyFile ?? '');

  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="connect-title">
      <Stack gap={7}>
        <StepHeading step="connect">
          Reach the private database from this computer: Onramp opens an SSH tunnel through the jump server to the
          endpoint gateway, checks each hop, and runs a first query.
        </StepHeading>

        {loadingInfo && <InlineLoading description="Reading where the database is…" />}

        {infoError && !loadingInfo && (
          <Stack gap={4}>
            <InlineNotification
              id="connect-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={infoError.message}
              subtitle={[infoError.hint, infoError.requestId && `Request ID: ${infoError.requestId}`]
                .filter(Boolean)
                .join(' ')}
            />
            <div>
              <Button
                id="connect-try-again"
                kind="tertiary"
                size="md"
                onClick={() => {
                  setLoadingInfo(true);
                  void refresh();
                }}
              >
                Try again
              </Button>
            </div>
          </Stack>
        )}

        {info && (
          <>
            <dl className="onramp-facts onramp-connect__facts" aria-label="The database and the way to it">
              <div className="onramp-facts__row">
                <dt>Private host name</dt>
                <dd id="connect-host" className="onramp-selectable">
                  {info.hostName}
                </dd>
              </div>
              <div className="onramp-facts__row">
                <dt>Database</dt>
                <dd id="connect-database">{info.database}</dd>
              </div>
              <div className="onramp-facts__row">
                <dt>User (Manager credential)</dt>
                <dd id="connect-user">{info.user}</dd>
              </div>
              <div className="onramp-facts__row">
                <dt>Jump server address</dt>
                <dd id="connect-jump">{info.jumpAddress}</dd>
              </div>
              <div className="onramp-facts__row">
                <dt>Endpoint gateway (VPE) address</dt>
                <dd id="connect-vpe">{info.vpeAddress}</dd>
              </div>
              <div className="onramp-facts__row">
                <dt>Jump server’s host key (pinned)</dt>
                <dd id="connect-host-key">{info.hostKeyFingerprint ?? 'Not recorded'}</dd>
              </div>
            </dl>

            {ownKey && (
              <TextInput
                id="connect-key-file"
                labelText="Your private key file"
                helperText="This plan logs in with your own SSH key: give the full path of its private half, such as ~/.ssh/id_ed25519. Onramp reads it only to open the tunnel."
                autoComplete="off"
                spellCheck={false}
                value={keyFileValue}
                onChange={(e) => {
                  onKeyFile(e.target.value);
                  setKeyFileError(null);
                }}
                {...invalidProps('connect-key-file', keyFileError ?? undefined)}
              />
            )}

            <Stack gap={5} as="section" aria-labelledby="tunnel-heading">
              <h2 id="tunnel-heading" className="onramp-review__heading">
                Tunnel
              </h2>
              <p className="onramp-step__text">
                Onramp’s tunnel listens on 127.0.0.1 only and goes through the jump server to the endpoint gateway. It
                closes after 15 minutes without a connection, and when Onramp quits.
              </p>
              <p className="onramp-connect__status">
                Status:{' '}
                <strong id="tunnel-status" data-state={tunnelStatus?.state ?? 'closed'} aria-live="polite">
                  {tunnelText(tunnelStatus, tunnelPort)}
                </strong>
              </p>
              <div className="onramp-review__toolbar">
                <Button
                  id="tunnel-open-button"
                  ref={openButton}
                  kind="primary"
                  disabled={tunnelBusy || tunnelOpen}
                  onClick={() => void onOpen()}
                >
                  Open tunnel
                </Button>
                <Button
                  id="tunnel-close-button"
                  ref={closeButton}
                  kind="secondary"
                  disabled={tunnelBusy || !tunnelOpen}
                  onClick={() => void onClose()}
                >
                  Close tunnel
                </Button>
                {tunnelBusy && <InlineLoading description="Working on the tunnel…" />}
              </div>
              {tunnelError && (
                <InlineNotification
                  id="tunnel-error"
                  kind="error"
                  lowContrast
                  hideCloseButton
                  role="alert"
                  title={tunnelError.message}
                  subtitle={tunnelError.hint ?? undefined}
                />
              )}
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="psql-heading">
              <h2 id="psql-heading" className="onramp-review__heading">
                Connect with psql
              </h2>
              <p className="onramp-step__text">
                psql asks for the password: Copy password puts it on the clipboard. In the command, <code>host=</code>{' '}
                is the database’s real private name, so <code>verify-full</code> checks the certificate against it,
                while <code>hostaddr=127.0.0.1</code> sends the connection through the tunnel.
              </p>
              {tunnelOpen && info.viaTunnel ? (
                <>
                  <CommandBlock id="psql-command" label="psql command" text={info.viaTunnel.psql} />
                  <CommandBlock id="connection-string" label="connection string" text={info.viaTunnel.connectionString} />
                </>
              ) : (
                <p className="onramp-muted">Open the tunnel to get the psql command and connection string through it.</p>
              )}
              <div className="onramp-review__toolbar">
                <Button
                  id="copy-password"
                  kind="tertiary"
                  size="md"
                  disabled={copy?.state === 'copying'}
                  onClick={() => void copyPassword()}
                >
                  Copy password
                </Button>
                <p id="copy-password-result" className="onramp-connect__feedback" aria-live="polite">
                  {copy?.state === 'copied' &&
                    'Copied. Paste it when psql asks for the password; Onramp does not show it, and clears it from the clipboard in a minute.'}
                  {copy?.state === 'failed' && copy.message}
                </p>
              </div>
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="doctor-heading">
              <h2 id="doctor-heading" className="onramp-review__heading">
                Connection doctor
              </h2>
              <p className="onramp-step__text">
                Checks the way one hop at a time and stops at the first that fails, saying why and how to fix it.
              </p>
              <div className="onramp-review__toolbar">
                <Button id="doctor-button" kind="tertiary" disabled={doctorRunning} onClick={() => void runDoctor()}>
                  Run the connection doctor
                </Button>
              </div>
              <p id="doctor-summary" className="onramp-connect__feedback" aria-live="polite">
                {doctorSummary(stages, doctorRunning)}
              </p>
              {doctorError && (
                <InlineNotification
                  id="doctor-error"
                  kind="error"
                  lowContrast
                  hideCloseButton
                  role="alert"
                  title={doctorError.message}
                  subtitle={doctorError.hint ?? undefined}
                />
              )}
              {stages && (
                <ol id="doctor-stages" className="onramp-provision__steps" aria-label="Checks">
                  {stages.map((stage) => (
                    <StageItem key={stage.kind} stage={stage} />
                  ))}
                </ol>
              )}
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="query-heading">
              <h2 id="query-heading" className="onramp-review__heading">
                First query
              </h2>
              <TextArea
                id="query-sql"
                labelText="SQL"
                helperText="Runs as the Manager credential through the tunnel (Onramp opens it if it is closed). The last result is shown, up to 200 rows."
                rows={4}
                spellCheck={false}
                value={query}
                onChange={(e) => {
                  setSql(e.target.value);
                  setQueryMessage(null);
                }}
                invalid={Boolean(queryMessage)}
                invalidText={queryMessage ?? undefined}
              />
              <div className="onramp-review__toolbar">
                <Button id="query-run-button" kind="primary" disabled={queryRunning} onClick={() => void runQuery()}>
                  Run query
                </Button>
                {queryRunning && (
                  <>
                    <InlineLoading description="Running…" />
                    <Button id="query-stop-button" kind="ghost" onClick={() => void backend.cancelQuery(planId)}>
                      Stop the query
                    </Button>
                  </>
                )}
              </div>
              {queryError && (
                <InlineNotification
                  id="query-error"
                  kind="error"
                  lowContrast
                  hideCloseButton
                  role="alert"
                  title={queryError.message}
                  subtitle={queryError.hint ?? undefined}
                />
              )}
              {result && <QueryTable result={result} />}
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="openssh-heading">
              <h2 id="openssh-heading" className="onramp-review__heading">
                Use OpenSSH instead
              </h2>
              <p className="onramp-step__text">
                To connect without Onramp, keep a tunnel open with your own ssh in one terminal and run psql in
                another.
              </p>
              {!ownKey && (
                <Stack gap={4}>
                  <TextInput
                    id="ssh-key-file"
                    labelText="Private key file for OpenSSH"
                    helperText="Onramp generated this plan’s key and keeps it in your OS keychain. Save a copy here (readable only by you) for ssh -i."
                    autoComplete="off"
                    spellCheck={false}
                    value={keyFileValue}
                    onChange={(e) => {
                      setSavePath(e.target.value);
                      setKeyFileError(null);
                      setSavedTo(null);
                    }}
                    {...invalidProps('ssh-key-file', keyFileError ?? undefined)}
                  />
                  <div className="onramp-review__toolbar">
                    <Button
                      id="save-key-button"
                      kind="tertiary"
                      size="md"
                      disabled={saving || !keyFileValue.trim()}
                      onClick={() => void saveKey(keyFileValue)}
                    >
                      Save the key to this file
                    </Button>
                    <p id="save-key-result" className="onramp-connect__feedback" aria-live="polite">
                      {savedTo && `Saved to ${savedTo}.`}
                    </p>
                  </div>
                </Stack>
              )}
              {info.viaOpenssh.ssh && (
                <CommandBlock id="ssh-command" label="ssh command (leave it running)" text={info.viaOpenssh.ssh} />
              )}
              <CommandBlock id="openssh-psql-command" label="psql command through it" text={info.viaOpenssh.psql} />
            </Stack>
          </>
        )}
      </Stack>
    </section>
  );
}

function StageItem({ stage }: { stage: StageRow }) {
  const status = STAGE_STATUS[stage.status];
  return (
    <li className="onramp-provision__step" data-stage={stage.kind} data-status={stage.status}>
      <div className="onramp-provision__step-head">
        <h3 className="onramp-provision__step-title">{STAGE_TITLES[stage.kind]}</h3>
        <Tag type={status.tag} size="md">
          <span aria-hidden="true">{status.sign}</span> {status.text}
        </Tag>
      </div>
      {stage.detail && <p className="onramp-provision__detail">{stage.detail}</p>}
      {stage.status === 'failed' && (stage.cause || stage.fix) && (
        <div className="onramp-provision__error">
          {stage.cause && <p className="onramp-provision__error-message">{stage.cause}</p>}
          {stage.fix && (
            <p>
              <strong>How to fix:</strong> {stage.fix}
            </p>
          )}
        </div>
      )}
    </li>
  );
}

function QueryTable({ result }: { result: QueryResult }) {
  const caption = `${result.command} in ${result.elapsedMs} ms`;
  return (
    <div id="query-result" className="onramp-connect__result">
      {result.columns.length === 0 ? (
        <p>
          {caption}
          {result.stopped && ` ${result.stopped}`}
        </p>
      ) : (
        <Table size="sm">
          <caption className="onramp-connect__caption">
            {caption}
            {result.stopped && ` ${result.stopped}`}
          </caption>
          <TableHead>
            <TableRow>
              {result.columns.map((column, i) => (
                <TableHeader key={`${i}:${column}`}>{column}</TableHeader>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {result.rows.map((row, r) => (
              <TableRow key={r}>
                {row.map((value, c) => (
                  <TableCell key={c}>{value === null ? <span className="onramp-muted">NULL</span> : value}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
