// The connection doctor: each hop checked in order, its stages shown as the back end reports
// them, and the first failure explained.
import { useState, type MutableRefObject } from 'react';

import { asAppError, type AppError, type Backend, type Stage, type StageKind, type StageStatus } from '../../backend';
import type { KeyFile } from './keyFile';

export const STAGES: StageKind[] = ['dns', 'tcp', 'tls', 'login', 'query'];

/** A stage as the list shows it: not reached yet while the doctor runs, else as reported. */
export type StageRow = Omit<Stage, 'status'> & { status: StageStatus | 'waiting' };

export function useDoctor(backend: Backend, planId: string, keyFile: KeyFile, alive: MutableRefObject<boolean>) {
  const [stages, setStages] = useState<StageRow[] | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  const run = async () => {
    setRunning(true);
    setError(null);
    keyFile.clearError();
    setStages(STAGES.map((kind) => ({ kind, status: 'waiting', detail: '', cause: null, fix: null })));
    try {
      const report = await backend.runDoctor(planId, keyFile.forCalls(), (stage) => {
        if (alive.current) setStages((prev) => prev && prev.map((s) => (s.kind === stage.kind ? stage : s)));
      });
      if (alive.current) setStages(report.stages);
    } catch (e) {
      if (!alive.current) return;
      setStages(null);
      setError(keyFile.place(asAppError(e)));
    } finally {
      if (alive.current) setRunning(false);
    }
  };

  return { stages, running, error, run };
}
