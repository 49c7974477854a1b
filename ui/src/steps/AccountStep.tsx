// Step 1, Account: the sandbox or IBM Cloud, the API key (typed once, kept in the OS keychain), and who it belongs to.
import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  PasswordInput,
  RadioButton,
  RadioButtonGroup,
  Stack,
  Tag,
  Tile,
} from '@carbon/react';

import { asAppError, type AccountStatus, type AppError, type Backend, type Mode } from '../backend';

type Busy = null | 'loading' | 'switching' | 'connecting' | 'forgetting';

interface Props {
  backend: Backend;
  status: AccountStatus | null;
  onStatus: (status: AccountStatus) => void;
}

/** Step 1: choose Sandbox or IBM Cloud; in IBM Cloud, check and keep the API key. */
export function AccountStep({ backend, status, onStatus }: Props) {
  // With an answer already (asked before the first render), nothing is loading.
  const [busy, setBusy] = useState<Busy>(status ? null : 'loading');
  const [error, setError] = useState<AppError | null>(null);
  const [apiKey, setApiKey] = useState('');
  const keyInput = useRef<HTMLInputElement>(null);

  const run = async (kind: Busy, call: () => Promise<AccountStatus>) => {
    setBusy(kind);
    setError(null);
    try {
      onStatus(await call());
      return true;
    } catch (e) {
      setError(asAppError(e));
      return false;
    } finally {
      setBusy(null);
    }
  };

  useEffect(() => {
    // Answered already (asked as the page started, or on an earlier visit): not asked again, so
    // opening the app signs in once; switching modes and connecting ask afresh.
    if (!status) void run('loading', () => backend.accountStatus());
    // Load once per back end.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend]);

  const mode: Mode = status?.mode ?? 'Sandbox';
  const account = status?.account ?? null;

  // The first step showing its first answer (in the page, before its paint): the moment
  // `./onramp.sh bench` times as interactive.
  const signedIn = account !== null;
  useLayoutEffect(() => {
    if (signedIn && performance.getEntriesByName('onramp:interactive').length === 0) {
      performance.mark('onramp:interactive');
    }
  }, [signedIn]);
  const problem = error ?? status?.problem ?? null;
  const keyError = problem?.field === 'apiKey' ? problem : null;
  const otherError = problem && problem.field !== 'apiKey' ? problem : null;

  const chooseMode = (next: Mode) => {
    if (next === mode) return;
    setApiKey('');
    void run('switching', () => (next === 'Sandbox' ? backend.useSandbox() : backend.useIbmCloud()));
  };

  const connect = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await run('connecting', () => backend.connectIbmCloud(apiKey));
    if (ok) setApiKey('');
    else keyInput.current?.focus();
  };

  return (
    <section className="onramp-step" aria-labelledby="account-title">
      <Stack gap={6}>
        <div>
          <p className="onramp-step__eyebrow">Step 1 of 11</p>
          <h1 id="account-title" className="onramp-step__title" tabIndex={-1}>
            Account
          </h1>
          <p className="onramp-step__lead">
            Choose where Onramp works. The sandbox is a local IBM Cloud on this computer: no account, nothing billed, and
            a real PostgreSQL at the end. Switch to IBM Cloud when you are ready to create real resources.
          </p>
        </div>

        <RadioButtonGroup
          legendText="Where to work"
          name="mode"
          valueSelected={mode}
          onChange={(value) => chooseMode(value as Mode)}
          disabled={busy !== null}
          orientation="vertical"
        >
          <RadioButton id="mode-sandbox" value="Sandbox" labelText="Sandbox: a local rehearsal, no account needed" />
          <RadioButton id="mode-ibm-cloud" value="IbmCloud" labelText="IBM Cloud: your account, with an API key" />
        </RadioButtonGroup>

        {status?.endpointsOverride && mode === 'IbmCloud' && (
          <InlineNotification
            kind="warning"
            lowContrast
            hideCloseButton
            title="Endpoints overridden"
            subtitle={status.endpointsOverride}
          />
        )}

        {busy === 'loading' || busy === 'switching' ? (
          <InlineLoading description={mode === 'Sandbox' ? 'Starting the sandbox…' : 'Checking your stored key…'} />
        ) : null}

        {otherError && (
          <InlineNotification
            id="account-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={otherError.message}
            subtitle={[otherError.hint, otherError.requestId && `Request ID: ${otherError.requestId}`]
              .filter(Boolean)
              .join(' ')}
          />
        )}

        {account ? (
          <Tile id="account-tile" className="onramp-account">
            <Stack gap={4}>
              <div className="onramp-account__heading">
                <h2 className="onramp-account__title">{mode === 'Sandbox' ? 'Sandbox account' : 'IBM Cloud account'}</h2>
                <Tag type="green" size="sm">
                  Connected
                </Tag>
              </div>
              <dl className="onramp-account__facts">
                <dt>Account ID</dt>
                <dd id="account-id">{account.accountId}</dd>
                <dt>User</dt>
                <dd id="account-user">
                  {account.user}
                  {account.email ? ` (${account.email})` : ''}
                </dd>
                <dt>IAM</dt>
                <dd>{account.iamEndpoint}</dd>
                <dt>API key</dt>
                <dd id="account-key">
                  {mode === 'Sandbox'
                    ? 'The sandbox’s own key; nothing is stored in your keychain'
                    : account.keyStored
                      ? 'Stored in your system keychain'
                      : 'Not stored'}
                </dd>
              </dl>
              {mode === 'IbmCloud' && account.keyStored && (
                <div>
                  <Button
                    id="forget-key"
                    kind="danger--tertiary"
                    size="md"
                    disabled={busy !== null}
                    onClick={() => void run('forgetting', () => backend.forgetApiKey())}
                  >
                    {busy === 'forgetting' ? 'Forgetting…' : 'Forget key'}
                  </Button>
                </div>
              )}
            </Stack>
          </Tile>
        ) : (
          mode === 'IbmCloud' &&
          busy !== 'loading' &&
          busy !== 'switching' && (
            <form className="onramp-key-form" onSubmit={connect} noValidate>
              <Stack gap={5}>
                <PasswordInput
                  id="api-key"
                  ref={keyInput}
                  labelText="IBM Cloud API key"
                  helperText="Create one in the IBM Cloud console under Manage → Access (IAM) → API keys. Onramp keeps it in your system keychain and never shows it again."
                  autoComplete="off"
                  spellCheck={false}
                  value={apiKey}
                  onChange={(e) => setApiKey(e.target.value)}
                  invalid={Boolean(keyError)}
                  // Carbon points aria-errormessage at the message but does not announce it;
                  // describing the input by it makes screen readers read the error.
                  aria-describedby={keyError ? 'api-key-error-msg' : undefined}
                  invalidText={keyError ? [keyError.message, keyError.hint].filter(Boolean).join(' ') : undefined}
                  disabled={busy !== null}
                  showPasswordLabel="Show key"
                  hidePasswordLabel="Hide key"
                />
                <div className="onramp-key-form__actions">
                  <Button id="connect" type="submit" kind="primary" disabled={busy !== null}>
                    Connect
                  </Button>
                  {busy === 'connecting' && <InlineLoading description="Checking the key with IAM…" />}
                </div>
              </Stack>
            </form>
          )
        )}
      </Stack>
    </section>
  );
}
