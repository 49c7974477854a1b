// The first step's first question, asked as the script starts rather than after React's first
// render: the answer travels while the page loads. If it has arrived by the first render, the
// app starts with it (`takeEarlyAccountStatus`); otherwise the Account step's first call gets it.
// Either way it is handed out once; every later question is asked again.
import type { AccountStatus, Backend } from './index';

const arrived = new WeakMap<Backend, () => AccountStatus | null>();

export function withEarlyAccountStatus(backend: Backend): Backend {
  let early: Promise<AccountStatus> | null = backend.accountStatus();
  let answer: AccountStatus | null = null;
  early.then(
    (status) => {
      answer = status;
      performance.mark('onramp:first-answer');
    },
    // Whoever takes it handles its failure; until then it must not count as unhandled.
    () => undefined,
  );
  const wrapped: Backend = {
    ...backend,
    accountStatus: () => {
      const pending = early ?? backend.accountStatus();
      early = null;
      answer = null;
      return pending;
    },
  };
  arrived.set(wrapped, () => {
    const taken = early ? answer : null;
    if (taken) {
      early = null;
      answer = null;
    }
    return taken;
  });
  return wrapped;
}

/** The early answer if it has arrived and nobody took it yet (then nobody else will get it). */
export function takeEarlyAccountStatus(backend: Backend): AccountStatus | null {
  return arrived.get(backend)?.() ?? null;
}
