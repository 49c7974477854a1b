// Connecting with psql through Onramp's tunnel: the command and connection string, and Copy
// password (the back end puts it on the clipboard; the window never holds it).
import { useState } from 'react';
import { Button, Stack } from '@carbon/react';

import { asAppError, type Backend, type ConnectionInfo } from '../../backend';
import { CommandBlock } from '../CommandBlock';
import { said } from './keyFile';
import { useAlive } from './useAlive';

type CopyState = null | { state: 'copying' } | { state: 'copied' } | { state: 'failed'; message: string };

interface Props {
  backend: Backend;
  planId: string;
  info: ConnectionInfo;
  tunnelOpen: boolean;
}

export function PsqlPanel({ backend, planId, info, tunnelOpen }: Props) {
  const [copy, setCopy] = useState<CopyState>(null);
  const alive = useAlive();

  const copyPassword = async () => {
    setCopy({ state: 'copying' });
    try {
      await backend.copyPassword(planId, { kind: 'manager' });
      if (alive.current) setCopy({ state: 'copied' });
    } catch (e) {
      const message = `Onramp could not copy the password: ${said(asAppError(e))} You can copy it from IBM Cloud’s service credentials.`;
      if (alive.current) setCopy({ state: 'failed', message });
    }
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="psql-heading">
      <h2 id="psql-heading" className="onramp-review__heading">
        Connect with psql
      </h2>
      <p className="onramp-step__text">
        psql asks for the password: Copy password puts it on the clipboard. In the command, <code>host=</code> is the
        database’s real private name, so <code>verify-full</code> checks the certificate against it, while{' '}
        <code>hostaddr=127.0.0.1</code> sends the connection through the tunnel.
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
  );
}
