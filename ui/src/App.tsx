import { useCallback, useEffect, useState } from 'react';
import { Header, HeaderName, ProgressIndicator, ProgressStep, SkipToContent, Tag } from '@carbon/react';

import type { AccountStatus, Backend } from './backend';
import { STEPS } from './steps';
import { AccountStep } from './steps/AccountStep';

export function App({ backend }: { backend: Backend }) {
  const [status, setStatus] = useState<AccountStatus | null>(null);

  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    backend.onAccountChanged(setStatus).then((stop) => (gone ? stop() : (unlisten = stop)));
    return () => {
      gone = true;
      unlisten?.();
    };
  }, [backend]);

  const onStatus = useCallback((next: AccountStatus) => setStatus(next), []);
  const accountDone = Boolean(status?.account);

  return (
    <div className="onramp">
      <Header aria-label="Onramp">
        <SkipToContent href="#step" />
        <HeaderName href="#" prefix="">
          Onramp
        </HeaderName>
        <div className="onramp__header-tags">
          {status?.build && status.build !== 'Release' && (
            <Tag type="purple" size="sm">
              {status.build === 'Test' ? 'Test build' : 'Dev build'}
            </Tag>
          )}
          {status?.account && (
            <Tag type={status.mode === 'Sandbox' ? 'teal' : 'blue'} size="sm" id="header-account">
              {status.mode === 'Sandbox' ? 'Sandbox' : 'IBM Cloud'} · {status.account.accountId.slice(0, 8)}…
            </Tag>
          )}
        </div>
      </Header>
      <div className="onramp__body">
        <nav className="onramp__steps" aria-label="Steps">
          <ProgressIndicator vertical currentIndex={0} spaceEqually={false}>
            {STEPS.map((step, index) => (
              <ProgressStep
                key={step.id}
                label={step.label}
                secondaryLabel={step.summary}
                complete={index === 0 && accountDone}
                current={index === 0}
                disabled={index > 0}
                description={index > 0 ? `${step.label}: not yet available` : step.label}
              />
            ))}
          </ProgressIndicator>
        </nav>
        <main className="onramp__content" id="step" tabIndex={-1}>
          <AccountStep backend={backend} status={status} onStatus={onStatus} />
        </main>
      </div>
    </div>
  );
}
