// The UI's only door to the back end. Components receive a `Backend`; the app passes the
// Tauri one (./tauri.ts, the only module that imports @tauri-apps/*), tests pass a fake.
import type { AccountStatus, AppError } from './bindings';

export type { Account, AccountStatus, AppError, BuildKind, ErrorCode, Mode } from './bindings';

export interface Backend {
  accountStatus(): Promise<AccountStatus>;
  useSandbox(): Promise<AccountStatus>;
  useIbmCloud(): Promise<AccountStatus>;
  /** Sends the key once; it never comes back. */
  connectIbmCloud(apiKey: string): Promise<AccountStatus>;
  forgetApiKey(): Promise<AccountStatus>;
  onAccountChanged(listener: (status: AccountStatus) => void): Promise<() => void>;
}

/** A command's failure, carrying the back end's `{code, message, field?, hint?}`. */
export class BackendError extends Error {
  constructor(readonly detail: AppError) {
    super(detail.message);
    this.name = 'BackendError';
  }
}

export function asAppError(error: unknown): AppError {
  if (error instanceof BackendError) return error.detail;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Internal', message };
}
