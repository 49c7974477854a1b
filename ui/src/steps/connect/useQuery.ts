// The first query: SQL run as the Manager through the tunnel (opened first if it is closed),
// its result, a problem in the SQL at its field, and Stop.
import { useState, type MutableRefObject } from 'react';

import { asAppError, type AppError, type Backend, type QueryResult } from '../../backend';
import { said, type KeyFile } from './keyFile';
import type { Tunnel } from './useTunnel';

/** The back end's field for the SQL. */
const QUERY_FIELD = 'connect.query';

export function useQuery(
  backend: Backend,
  planId: string,
  firstQuery: string,
  tunnel: Tunnel,
  keyFile: KeyFile,
  alive: MutableRefObject<boolean>,
) {
  const [sql, setSql] = useState<string | null>(null);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [running, setRunning] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const query = sql ?? firstQuery;

  const run = async () => {
    setRunning(true);
    setMessage(null);
    setError(null);
    try {
      if (!tunnel.isOpen) {
        const failure = await tunnel.open();
        if (failure) {
          if (alive.current) setError(failure);
          return;
        }
        if (!alive.current) return;
      }
      const found = await backend.runQuery(planId, keyFile.forCalls(), query);
      if (alive.current) setResult(found);
    } catch (e) {
      if (!alive.current) return;
      const failure = asAppError(e);
      if (failure.field === QUERY_FIELD) setMessage(said(failure));
      else setError(keyFile.place(failure));
    } finally {
      if (alive.current) setRunning(false);
    }
  };

  const edit = (text: string) => {
    setSql(text);
    setMessage(null);
  };

  const stop = () => void backend.cancelQuery(planId);

  return { query, edit, result, running, message, error, run, stop };
}
