// The connection doctor's section: run it, hear where it is (a live region), and read each
// stage with its status in words and a sign, never by color alone.
import { Button, InlineNotification, Stack, Tag } from '@carbon/react';

import type { StageKind } from '../../backend';
import type { StageRow, useDoctor } from './useDoctor';

const STAGE_TITLES: Record<StageKind, string> = {
  dns: 'Private host name → VPE',
  tcp: 'SSH through the jump server',
  tls: 'TLS, verify-full',
  login: 'Log in',
  query: 'SELECT 1',
};

type TagType = 'gray' | 'warm-gray' | 'blue' | 'green' | 'red';
const STAGE_STATUS: Record<StageRow['status'], { text: string; sign: string; tag: TagType }> = {
  waiting: { text: 'Waiting', sign: '○', tag: 'gray' },
  running: { text: 'Running', sign: '…', tag: 'blue' },
  passed: { text: 'Passed', sign: '✓', tag: 'green' },
  failed: { text: 'Failed', sign: '✕', tag: 'red' },
  skipped: { text: 'Skipped', sign: '–', tag: 'warm-gray' },
};

/** What the doctor's live region says: the stage it is on, or how it ended. */
function doctorSummary(stages: StageRow[] | null, running: boolean): string {
  if (!stages) return '';
  const failed = stages.find((s) => s.status === 'failed');
  if (failed) return `The doctor stopped at “${STAGE_TITLES[failed.kind]}”: ${failed.cause ?? failed.detail}`;
  const current = stages.find((s) => s.status === 'running');
  if (running) return current ? `Checking: ${STAGE_TITLES[current.kind]}…` : 'Checking…';
  const skipped = stages.filter((s) => s.status === 'skipped').length;
  return skipped > 0
    ? `Every check that could run passed (${skipped} skipped, as said below).`
    : 'Every check passed: the way to the database works.';
}

export function DoctorPanel({ doctor }: { doctor: ReturnType<typeof useDoctor> }) {
  return (
    <Stack gap={5} as="section" aria-labelledby="doctor-heading">
      <h2 id="doctor-heading" className="onramp-review__heading">
        Connection doctor
      </h2>
      <p className="onramp-step__text">
        Checks the way one hop at a time and stops at the first that fails, saying why and how to fix it.
      </p>
      <div className="onramp-review__toolbar">
        <Button id="doctor-button" kind="tertiary" disabled={doctor.running} onClick={() => void doctor.run()}>
          Run the connection doctor
        </Button>
      </div>
      <p id="doctor-summary" className="onramp-connect__feedback" aria-live="polite">
        {doctorSummary(doctor.stages, doctor.running)}
      </p>
      {doctor.error && (
        <InlineNotification
          id="doctor-error"
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={doctor.error.message}
          subtitle={doctor.error.hint ?? undefined}
        />
      )}
      {doctor.stages && (
        <ol id="doctor-stages" className="onramp-provision__steps" aria-label="Checks">
          {doctor.stages.map((stage) => (
            <StageItem key={stage.kind} stage={stage} />
          ))}
        </ol>
      )}
    </Stack>
  );
}

function StageItem({ stage }: { stage: StageRow }) {
  const status = STAGE_STATUS[stage.status];
  return (
    <li className="onramp-provision__step" data-stage={stage.kind} data-status={stage.status}>
      <div className="onramp-provision__step-head">
        <h3 className="onramp-provision__step-title">{STAGE_TITLES[stage.kind]}</h3>
        <Tag type={status.tag} size="md">
          <span aria-hidden="true">{status.sign}</span> {status.text}
        </Tag>
      </div>
      {stage.detail && <p className="onramp-provision__detail">{stage.detail}</p>}
      {stage.status === 'failed' && (stage.cause || stage.fix) && (
        <div className="onramp-provision__error">
          {stage.cause && <p className="onramp-provision__error-message">{stage.cause}</p>}
          {stage.fix && (
            <p>
              <strong>How to fix:</strong> {stage.fix}
            </p>
          )}
        </div>
      )}
    </li>
  );
}
