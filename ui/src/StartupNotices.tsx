// Problems the back end found that did not stop the window from opening (a log folder it
// cannot write, a draft it could not read) and journals it cannot read, shown at the top of
// the step until the user closes them.
import { useEffect, useState } from 'react';
import { InlineNotification } from '@carbon/react';

import type { Backend, DamagedJournal, StartupProblem } from './backend';

export function StartupNotices({ backend, refresh }: { backend: Backend; refresh: unknown }) {
  const [problems, setProblems] = useState<StartupProblem[]>([]);
  const [damaged, setDamaged] = useState<DamagedJournal[]>([]);
  const [closed, setClosed] = useState<string[]>([]);

  useEffect(() => {
    let alive = true;
    // Asked again when the account or the plan changes: loading a draft can add one.
    void Promise.all([backend.startupProblems(), backend.damagedJournals()])
      .then(([found, journals]) => {
        if (!alive) return;
        setProblems(found);
        setDamaged(journals);
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [backend, refresh]);

  const shown = [
    ...problems.map((p) => ({ key: `problem:${p.message}`, title: p.message, subtitle: p.hint })),
    ...damaged.map((d) => ({
      key: `journal:${d.path}`,
      title: `A plan's journal cannot be read: ${d.problem}`,
      subtitle: d.hint,
    })),
  ].filter((n) => !closed.includes(n.key));
  if (shown.length === 0) return null;
  return (
    <div className="onramp-step onramp-step__notice" id="startup-notices">
      {shown.map((n) => (
        <InlineNotification
          key={n.key}
          kind="warning"
          lowContrast
          title={n.title}
          subtitle={n.subtitle}
          onClose={() => {
            setClosed((c) => [...c, n.key]);
            return false;
          }}
        />
      ))}
    </div>
  );
}
