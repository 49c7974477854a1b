// A step's heading and opening words, and the props that put an error at its field.
import type { ReactNode } from 'react';

import { STEPS } from '../steps';

/** The eyebrow, title and lead every step starts with, as the Account step has them. */
export function StepHeading({ step, children }: { step: string; children?: ReactNode }) {
  const index = STEPS.findIndex((s) => s.id === step);
  const info = STEPS[index];
  return (
    <div>
      <p className="onramp-step__eyebrow">
        Step {index + 1} of {STEPS.length}
      </p>
      {/* Focus lands here after each move between steps, so a screen reader starts at the top. */}
      <h1 id={`${step}-title`} className="onramp-step__title" tabIndex={-1}>
        {info?.label ?? step}
      </h1>
      {children && <p className="onramp-step__lead">{children}</p>}
    </div>
  );
}

/**
 * Carbon points aria-errormessage at a field's message but does not announce it; describing
 * the field by it makes screen readers read the error (as the Account step does).
 */
export function invalidProps(id: string, message: string | undefined) {
  return {
    invalid: Boolean(message),
    invalidText: message,
    // Without a message Carbon describes the field by its helper text; an undefined here would undo that.
    ...(message ? { 'aria-describedby': `${id}-error-msg` } : {}),
  };
}
