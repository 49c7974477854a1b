// Step 8, Connect: a tunnel to the private database, a check of each hop, the commands to do
// the same without Onramp, and a first query. The step holds what its panels share (where the
// database is, the key file, the tunnel); each panel and hook in ./connect holds one thing.
import { useEffect, useRef, useState } from 'react';
import { Button, InlineLoading, InlineNotification, Stack, TextInput } from '@carbon/react';

import type { AppError, Backend } from '../backend';
import { StepHeading, invalidProps } from './StepHeading';
import { ConnectFacts } from './connect/ConnectFacts';
import { DoctorPanel } from './connect/DoctorPanel';
import { KEY_FILE_FIELD, said, type KeyFile } from './connect/keyFile';
import { OpenSshPanel } from './connect/OpenSshPanel';
import { PsqlPanel } from './connect/PsqlPanel';
import { QueryPanel } from './connect/QueryPanel';
import { TunnelPanel } from './connect/TunnelPanel';
import { useAlive } from './connect/useAlive';
import { useConnection } from './connect/useConnection';
import { useDoctor } from './connect/useDoctor';
import { useQuery } from './connect/useQuery';
import { useTunnel } from './connect/useTunnel';

interface Props {
  backend: Backend;
  planId: string;
  /** The user's own private key file, shared with Users (null until typed). */
  keyFile: string | null;
  onKeyFile: (path: string) => void;
}

export function ConnectStep({ backend, planId, keyFile, onKeyFile }: Props) {
  const alive = useAlive();
  // Where to save the generated key for OpenSSH, null until typed (the back end suggests one).
  // The user's own key file is `keyFile`, held above this step.
  const [savePath, setSavePath] = useState<string | null>(null);
  const [keyFileError, setKeyFileError] = useState<string | null>(null);
  // What the OpenSSH commands name. Only one of the two is ever typed: the own key file is
  // asked for only when the plan uses the user's key, the save path only when it does not.
  const typedKeyFile = useRef<string | null>(null);
  typedKeyFile.current = keyFile ?? savePath;

  const connection = useConnection(backend, planId, typedKeyFile, keyFile ?? savePath, alive);
  const info = connection.info;
  const ownKey = info?.ownKey ?? false;
  const keys: KeyFile = {
    forCalls: () => (ownKey ? keyFile?.trim() || null : null),
    place: (error: AppError) => {
      if (error.field !== KEY_FILE_FIELD) return error;
      setKeyFileError(said(error));
      return null;
    },
    clearError: () => setKeyFileError(null),
  };
  const tunnel = useTunnel(backend, planId, connection.refresh, keys, alive);
  const doctor = useDoctor(backend, planId, keys, alive);
  const query = useQuery(backend, planId, info?.firstQuery ?? '', tunnel, keys, alive);

  const { refresh } = connection;
  const { rejoin } = tunnel;
  useEffect(() => {
    void (async () => {
      const found = await refresh();
      const open = found?.tunnel;
      // A tunnel opened before the step was left: show it and hear of it again.
      if (open && open.status.state !== 'closed') await rejoin(open);
    })();
  }, [refresh, rejoin]);

  const keyFileValue = ownKey ? (keyFile ?? '') : (savePath ?? info?.defaultKeyFile ?? '');

  return (
    <section className="onramp-step onramp-step--wide" aria-labelledby="connect-title">
      <Stack gap={7}>
        <StepHeading step="connect">
          Reach the private database from this computer: Onramp opens an SSH tunnel through the jump server to the
          endpoint gateway, checks each hop, and runs a first query.
        </StepHeading>

        {connection.loading && <InlineLoading description="Reading where the database is…" />}

        {connection.error && !connection.loading && (
          <Stack gap={4}>
            <InlineNotification
              id="connect-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={connection.error.message}
              subtitle={[connection.error.hint, connection.error.requestId && `Request ID: ${connection.error.requestId}`]
                .filter(Boolean)
                .join(' ')}
            />
            <div>
              <Button id="connect-try-again" kind="tertiary" size="md" onClick={connection.retry}>
                Try again
              </Button>
            </div>
          </Stack>
        )}

        {info && (
          <>
            <ConnectFacts info={info} />
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
            <TunnelPanel tunnel={tunnel} />
            <PsqlPanel backend={backend} planId={planId} info={info} tunnelOpen={tunnel.isOpen} />
            <DoctorPanel doctor={doctor} />
            <QueryPanel query={query} />
            <OpenSshPanel
              backend={backend}
              planId={planId}
              info={info}
              keyFileValue={keyFileValue}
              onSavePath={setSavePath}
              keyFileError={keyFileError}
              setKeyFileError={setKeyFileError}
            />
          </>
        )}
      </Stack>
    </section>
  );
}
