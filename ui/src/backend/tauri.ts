// The real back end: the generated bindings over Tauri's IPC.
import { commands, events, type AccountStatus, type AppError, type Result } from './bindings';
import { BackendError, type Backend } from './index';

async function unwrap(call: Promise<Result<AccountStatus, AppError>>): Promise<AccountStatus> {
  let result: Result<AccountStatus, AppError>;
  try {
    result = await call;
  } catch (error) {
    // IPC-level failures (a denied permission, a panic) arrive as plain strings.
    throw new BackendError({ code: 'Internal', message: String(error) });
  }
  if (result.status === 'error') {
    const error: unknown = result.error;
    throw new BackendError(typeof error === 'string' ? { code: 'Internal', message: error } : result.error);
  }
  return result.data;
}

export const tauriBackend: Backend = {
  accountStatus: () => unwrap(commands.accountStatus()),
  useSandbox: () => unwrap(commands.useSandbox()),
  useIbmCloud: () => unwrap(commands.useIbmCloud()),
  connectIbmCloud: (apiKey) => unwrap(commands.connectIbmCloud(apiKey)),
  forgetApiKey: () => unwrap(commands.forgetApiKey()),
  onAccountChanged: (listener) => events.accountChanged.listen((event) => listener(event.payload.status)),
};
