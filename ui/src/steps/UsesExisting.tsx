// Sizing and Encryption for a plan that uses a database the account already has: nothing to
// choose (its size and its encryption are its own), and where to change its size instead.
import { Stack } from '@carbon/react';

import type { DraftPlan } from '../backend';
import { StepHeading } from './StepHeading';

export function UsesExisting({ step, plan }: { step: 'sizing' | 'encryption'; plan: DraftPlan }) {
  const name = plan.existing?.name ?? plan.name;
  return (
    <section className="onramp-step" aria-labelledby={`${step}-title`}>
      <Stack gap={6}>
        <StepHeading step={step}>
          {step === 'sizing'
            ? `The plan uses your database ${name}, which runs ${plan.members} × ${plan.hostFlavor} with ${plan.storageGb} GB per member and PostgreSQL ${plan.version}. Its size is its own: once the plan is applied, scale it from Done.`
            : `The plan uses your database ${name}, which keeps the encryption it was made with: its disks stay encrypted as they are, and the plan adds no key or authorization.`}
        </StepHeading>
      </Stack>
    </section>
  );
}
