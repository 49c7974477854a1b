import { describe, expect, it, vi } from 'vitest';

import { takeEarlyAccountStatus, withEarlyAccountStatus } from './early';
import type { AccountStatus, Backend } from './index';

const status = (n: number) => ({ mode: 'Sandbox', account: null, problem: null, n }) as unknown as AccountStatus;

describe('the early account question', () => {
  it('is asked at once, answers the first call, and later calls ask again', async () => {
    let asked = 0;
    const accountStatus = vi.fn(() => Promise.resolve(status(++asked)));
    const backend = withEarlyAccountStatus({ accountStatus } as unknown as Backend);
    expect(accountStatus).toHaveBeenCalledTimes(1);
    await expect(backend.accountStatus()).resolves.toMatchObject({ n: 1 });
    expect(accountStatus).toHaveBeenCalledTimes(1);
    await expect(backend.accountStatus()).resolves.toMatchObject({ n: 2 });
    expect(accountStatus).toHaveBeenCalledTimes(2);
  });

  it('hands a failure to the first caller', async () => {
    const accountStatus = vi.fn(() => Promise.reject(new Error('no')));
    const backend = withEarlyAccountStatus({ accountStatus } as unknown as Backend);
    await expect(backend.accountStatus()).rejects.toThrow('no');
  });
});

describe('taking the early answer', () => {
  it('is null until the answer arrives, then gives it once; the next call asks again', async () => {
    let asked = 0;
    let resolve: (s: AccountStatus) => void = () => undefined;
    const accountStatus = vi.fn(() =>
      ++asked === 1 ? new Promise<AccountStatus>((r) => (resolve = r)) : Promise.resolve(status(asked)),
    );
    const backend = withEarlyAccountStatus({ accountStatus } as unknown as Backend);
    expect(takeEarlyAccountStatus(backend)).toBeNull();
    resolve(status(1));
    await Promise.resolve();
    await Promise.resolve();
    expect(takeEarlyAccountStatus(backend)).toMatchObject({ n: 1 });
    expect(takeEarlyAccountStatus(backend)).toBeNull();
    await expect(backend.accountStatus()).resolves.toMatchObject({ n: 2 });
  });

  it('is not there once the first call took the question', async () => {
    const accountStatus = vi.fn(() => Promise.resolve(status(1)));
    const backend = withEarlyAccountStatus({ accountStatus } as unknown as Backend);
    await backend.accountStatus();
    expect(takeEarlyAccountStatus(backend)).toBeNull();
    expect(takeEarlyAccountStatus({ accountStatus } as unknown as Backend)).toBeNull();
  });
});
