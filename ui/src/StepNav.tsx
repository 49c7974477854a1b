// The stepper: every step of the tutorial, where the user is, and which steps are reachable yet.
import { Button, Link } from '@carbon/react';

import type { Problem } from './backend';
import { fieldLabel, stepOfField } from './plan';
import { STEPS } from './steps';

export interface NextInfo {
  label: string;
  onClick: () => void;
  disabled: boolean;
  /** Why Next is disabled, in a sentence, when it is. */
  reason?: string;
  /** The problems that keep it disabled; each one links to its field. */
  blockers: Problem[];
}

interface Props {
  back?: { label: string; onClick: () => void };
  next?: NextInfo;
  onJump: (field: string) => void;
}

/** Where a problem is fixed, e.g. "Service name (Basics)". */
export function problemPlace(field: string) {
  const step = STEPS.find((s) => s.id === stepOfField(field));
  return step ? `${fieldLabel(field)} (${step.label})` : fieldLabel(field);
}

/** Back and Next under every step; a disabled Next always says why, and how to fix it. */
export function StepNav({ back, next, onJump }: Props) {
  if (!back && !next) return null;
  const explain = next?.disabled && (next.reason || next.blockers.length > 0);
  return (
    <div className="onramp-step-nav">
      <div className="onramp-step-nav__buttons">
        {back && (
          <Button id="back-button" kind="secondary" onClick={back.onClick}>
            Back: {back.label}
          </Button>
        )}
        {next && (
          <Button
            id="next-button"
            kind="primary"
            disabled={next.disabled}
            aria-describedby={explain ? 'next-reason' : undefined}
            onClick={next.onClick}
          >
            Next: {next.label}
          </Button>
        )}
      </div>
      {explain && next && (
        <div id="next-reason" className="onramp-step-nav__reason">
          {next.reason && <p>{next.reason}</p>}
          {next.blockers.length > 0 && (
            <ul className="onramp-problem-list">
              {next.blockers.map((p) => (
                <li key={`${p.field}:${p.message}`}>
                  <Link as="button" type="button" onClick={() => onJump(p.field)}>
                    {problemPlace(p.field)}
                  </Link>
                  : {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
