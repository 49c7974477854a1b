// Basics' "Use a database I already have": the account's Gen 2 databases in every location, one
// radio button each with its location, state, size and age. Only an active one can be chosen;
// choosing one copies its name, location, group and size into the plan (the Rust rule).
import { useCallback, useEffect, useState } from 'react';
import { Button, InlineLoading, InlineNotification, RadioButton, RadioButtonGroup, Stack } from '@carbon/react';

import { asAppError, type AppError, type Backend, type DatabaseListing, type DraftPlan } from '../backend';

interface Props {
  backend: Backend;
  plan: DraftPlan;
  /** The rules' message for the choice (none made yet), shown at the list. */
  message: string | undefined;
  onReplace: (plan: DraftPlan) => void;
}

const describe = (d: DatabaseListing) =>
  [
    d.location,
    d.state,
    `${d.size.members} × ${d.size.hostFlavor || 'unknown flavor'}, ${d.size.storageGb} GB per member`,
    d.version ? `PostgreSQL ${d.version}` : null,
    d.createdAt ? `created ${d.createdAt.slice(0, 10)}` : null,
  ]
    .filter(Boolean)
    .join(' · ');

export function ExistingDatabases({ backend, plan, message, onReplace }: Props) {
  const [databases, setDatabases] = useState<DatabaseListing[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setDatabases(await backend.existingDatabases());
    } catch (e) {
      setError(asAppError(e));
    }
  }, [backend]);

  useEffect(() => {
    void load();
  }, [load]);

  const choose = async (crn: string) => {
    const database = databases?.find((d) => d.crn === crn);
    if (database) onReplace(await backend.chooseExistingDatabase(plan, database));
  };

  if (error) {
    return (
      <Stack gap={4}>
        <InlineNotification
          id="existing-error"
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={error.message}
          subtitle={error.hint ?? undefined}
        />
        <div>
          <Button id="existing-retry" kind="tertiary" size="md" onClick={() => void load()}>
            Try again
          </Button>
        </div>
      </Stack>
    );
  }
  if (!databases) return <InlineLoading description="Listing the account's Gen 2 databases…" />;
  if (databases.length === 0) {
    return (
      <InlineNotification
        id="existing-none"
        kind="info"
        lowContrast
        hideCloseButton
        title="This account has no Databases for PostgreSQL Gen 2 database."
        subtitle="Create a new one instead."
      />
    );
  }
  return (
    <Stack gap={4}>
      <RadioButtonGroup
        id="existing-databases"
        legendText="Your Gen 2 databases, in every location"
        name="existing-database"
        orientation="vertical"
        valueSelected={plan.existing?.crn || undefined}
        onChange={(crn) => void choose(String(crn))}
        invalid={Boolean(message)}
        invalidText={message}
      >
        {databases.map((d) => (
          <RadioButton
            key={d.crn}
            id={`existing-${d.crn.split(':').filter(Boolean).pop() ?? d.name}`}
            value={d.crn}
            disabled={d.state !== 'active'}
            labelText={
              <span>
                <strong>{d.name}</strong>
                <br />
                <span className="onramp-muted">
                  {describe(d)}
                  {d.state !== 'active' && ': it can be used once it is active'}
                </span>
              </span>
            }
          />
        ))}
      </RadioButtonGroup>
      {plan.existing?.crn && (
        <p className="onramp-step__text" id="existing-chosen">
          The plan uses {plan.existing.name} in {plan.location}: it builds the way in, a Manager credential and what you
          choose next around it, and teardown never deletes it. Its size is its own; scale it from Done.
        </p>
      )}
    </Stack>
  );
}
