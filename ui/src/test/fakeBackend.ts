// A fake of the back end's interface for UI tests: it keeps a mode, a "keychain" and a
// known-good key, and answers with the same shapes and errors as the real commands.
import { BackendError, type Account, type AccountStatus, type Backend, type Mode } from '../backend';

export const GOOD_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdef';

const sandboxAccount: Account = {
  mode: 'Sandbox',
  accountId: '0123456789abcdef0123456789abcdef',
  user: 'Sandbox User',
  email: 'newcomer@sandbox.onramp.invalid',
  iamId: 'IBMid-SANDBOX',
  iamEndpoint: 'http://127.0.0.1:4000/iam',
  keyStored: false,
};

const cloudAccount: Account = {
  mode: 'IbmCloud',
  accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  user: 'Ada Lovelace',
  email: 'ada@example.com',
  iamId: 'IBMid-6900012ABC',
  iamEndpoint: 'https://iam.cloud.ibm.com/',
  keyStored: true,
};

export class FakeBackend implements Backend {
  mode: Mode = 'Sandbox';
  storedKey: string | null = null;
  calls: string[] = [];
  /** Every argument any call received, to prove what crossed the boundary. */
  received: unknown[] = [];
  listeners: ((status: AccountStatus) => void)[] = [];

  private status(): AccountStatus {
    const account = this.mode === 'Sandbox' ? sandboxAccount : this.storedKey ? cloudAccount : null;
    return { mode: this.mode, account, problem: null, endpointsOverride: null, build: 'Test' };
  }

  private answer(): AccountStatus {
    const status = this.status();
    this.listeners.forEach((l) => l(status));
    return status;
  }

  async accountStatus() {
    this.calls.push('accountStatus');
    return this.answer();
  }

  async useSandbox() {
    this.calls.push('useSandbox');
    this.mode = 'Sandbox';
    return this.answer();
  }

  async useIbmCloud() {
    this.calls.push('useIbmCloud');
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async connectIbmCloud(apiKey: string) {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    const key = apiKey.trim();
    if (!key) throw new BackendError({ code: 'InvalidInput', message: 'Paste an IBM Cloud API key.', field: 'apiKey' });
    if (key !== GOOD_KEY) {
      throw new BackendError({
        code: 'InvalidApiKey',
        message: 'Provided API key could not be found.',
        field: 'apiKey',
        hint: 'Check that you copied the whole key.',
        requestId: 'req-1',
      });
    }
    this.storedKey = key;
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async forgetApiKey() {
    this.calls.push('forgetApiKey');
    this.storedKey = null;
    return this.answer();
  }

  async onAccountChanged(listener: (status: AccountStatus) => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}

/** A back end whose keychain is locked: connecting fails after IAM accepted the key. */
export class LockedKeychainBackend extends FakeBackend {
  async connectIbmCloud(apiKey: string): Promise<AccountStatus> {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    throw new BackendError({
      code: 'KeychainUnavailable',
      message: 'Onramp could not reach your system keychain, so it cannot keep the API key safely (no Secret Service).',
      hint: 'Unlock your keyring and try again. Nothing was saved.',
    });
  }
}
