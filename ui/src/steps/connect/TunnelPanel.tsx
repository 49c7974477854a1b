// The tunnel section: its status in words, Open and Close, and why it failed.
import { Button, InlineLoading, InlineNotification, Stack } from '@carbon/react';

import type { TunnelStatus } from '../../backend';
import type { Tunnel } from './useTunnel';

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

export function TunnelPanel({ tunnel }: { tunnel: Tunnel }) {
  return (
    <Stack gap={5} as="section" aria-labelledby="tunnel-heading">
      <h2 id="tunnel-heading" className="onramp-review__heading">
        Tunnel
      </h2>
      <p className="onramp-step__text">
        Onramp’s tunnel listens on 127.0.0.1 only and goes through the jump server to the endpoint gateway. It closes
        after 15 minutes without a connection, and when Onramp quits.
      </p>
      <p className="onramp-connect__status">
        Status:{' '}
        <strong id="tunnel-status" data-state={tunnel.status?.state ?? 'closed'} aria-live="polite">
          {tunnelText(tunnel.status, tunnel.port)}
        </strong>
      </p>
      <div className="onramp-review__toolbar">
        <Button
          id="tunnel-open-button"
          ref={tunnel.openButton}
          kind="primary"
          disabled={tunnel.busy || tunnel.isOpen}
          onClick={() => void tunnel.onOpen()}
        >
          Open tunnel
        </Button>
        <Button
          id="tunnel-close-button"
          ref={tunnel.closeButton}
          kind="secondary"
          disabled={tunnel.busy || !tunnel.isOpen}
          onClick={() => void tunnel.onClose()}
        >
          Close tunnel
        </Button>
        {tunnel.busy && <InlineLoading description="Working on the tunnel…" />}
      </div>
      {tunnel.error && (
        <InlineNotification
          id="tunnel-error"
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={tunnel.error.message}
          subtitle={tunnel.error.hint ?? undefined}
        />
      )}
    </Stack>
  );
}
