// Onramp's SSH tunnel for the plan: open, close, its status as the back end reports it, and
// rejoining one opened before the step was left. Each open has a generation: news from an
// older tunnel's channel is not about this one.
import { useCallback, useRef, useState, type MutableRefObject } from 'react';

import { asAppError, type AppError, type Backend, type TunnelInfo, type TunnelStatus } from '../../backend';
import type { KeyFile } from './keyFile';

export function useTunnel(
  backend: Backend,
  planId: string,
  refresh: () => Promise<unknown>,
  keyFile: KeyFile,
  alive: MutableRefObject<boolean>,
) {
  const [status, setStatus] = useState<TunnelStatus | null>(null);
  const [port, setPort] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const generation = useRef(0);
  const openButton = useRef<HTMLButtonElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  const listen = useCallback(
    (mine: number, heard: { any: boolean }) => (next: TunnelStatus) => {
      if (!alive.current || mine !== generation.current) return;
      heard.any = true;
      setStatus(next);
      if (next.state === 'closed') void refresh();
    },
    [refresh, alive],
  );

  /** Shows a tunnel opened before the step was left, and hears of it again. */
  const rejoin = useCallback(
    async (open: TunnelInfo) => {
      setPort(open.localPort);
      setStatus(open.status);
      const mine = ++generation.current;
      await backend.openTunnel(planId, null, listen(mine, { any: false })).catch(() => undefined);
    },
    [backend, planId, listen],
  );

  /** Opens the tunnel; answers a failure that is not about the key file (that one is placed at its field). */
  const open = async (): Promise<AppError | null> => {
    setBusy(true);
    setError(null);
    keyFile.clearError();
    const mine = ++generation.current;
    const heard = { any: false };
    try {
      const opened = await backend.openTunnel(planId, keyFile.forCalls(), listen(mine, heard));
      if (!alive.current) return null;
      setPort(opened.localPort);
      // The channel may already have said something newer than this first answer.
      if (!heard.any) setStatus(opened.status);
      void refresh();
      return null;
    } catch (e) {
      return alive.current ? keyFile.place(asAppError(e)) : null;
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const onOpen = async () => {
    const failure = await open();
    if (!alive.current) return;
    if (failure) setError(failure);
    // The open button is disabled now: keep the keyboard user's place on the close button.
    else setTimeout(() => closeButton.current?.focus());
  };

  const onClose = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.closeTunnel(planId);
      if (!alive.current) return;
      generation.current += 1;
      setStatus({ state: 'closed', reason: { kind: 'by_user' } });
      void refresh();
      setTimeout(() => openButton.current?.focus());
    } catch (e) {
      if (alive.current) setError(asAppError(e));
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const isOpen = status !== null && status.state !== 'closed';
  return { status, port, busy, error, isOpen, open, onOpen, onClose, rejoin, openButton, closeButton };
}

export type Tunnel = ReturnType<typeof useTunnel>;
