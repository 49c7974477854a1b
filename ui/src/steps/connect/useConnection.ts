// Where the plan's database is and the commands to reach it, read from the back end and read
// again when the tunnel or the typed key file changes (the commands name both).
import { useCallback, useEffect, useRef, useState, type MutableRefObject } from 'react';

import { asAppError, type AppError, type Backend, type ConnectionInfo } from '../../backend';

/** How long the key file's path waits for typing to pause before the commands are rebuilt. */
const KEY_FILE_DELAY_MS = 400;

export function useConnection(
  backend: Backend,
  planId: string,
  typedKeyFile: MutableRefObject<string | null>,
  typed: string | null,
  alive: MutableRefObject<boolean>,
) {
  const [info, setInfo] = useState<ConnectionInfo | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [loading, setLoading] = useState(true);
  const request = useRef(0);

  /** Reads the connection again; answers it (null when it failed or a newer read started). */
  const refresh = useCallback(async () => {
    const mine = ++request.current;
    try {
      const found = await backend.connectionInfo(planId, typedKeyFile.current?.trim() || null);
      if (!alive.current || mine !== request.current) return null;
      setInfo(found);
      setError(null);
      return found;
    } catch (e) {
      if (alive.current && mine === request.current) setError(asAppError(e));
      return null;
    } finally {
      if (alive.current && mine === request.current) setLoading(false);
    }
  }, [backend, planId, typedKeyFile, alive]);

  // The OpenSSH commands name the key file: rebuild them once typing pauses.
  useEffect(() => {
    if (typed === null) return;
    const timer = setTimeout(() => void refresh(), KEY_FILE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, refresh]);

  const retry = () => {
    setLoading(true);
    void refresh();
  };

  return { info, error, loading, refresh, retry };
}
