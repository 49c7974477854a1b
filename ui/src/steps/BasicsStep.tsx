// Step 2, Basics: a new database (its name, location and resource group) or one the account
// already has, which the plan then uses and never deletes.
import { RadioButton, RadioButtonGroup, Select, SelectItem, Stack, TextInput } from '@carbon/react';

import type { Backend, DraftPlan, Offerings } from '../backend';
import { withLocation } from '../plan';
import { ExistingDatabases } from './ExistingDatabases';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  backend: Backend;
  plan: DraftPlan;
  offerings: Offerings;
  /** The message to show at each field, by field name. */
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
  /** The whole plan replaced (a database chosen, or given up). */
  onReplace: (plan: DraftPlan) => void;
}

/** Step 2: a new database named and placed, or one the account already has. */
export function BasicsStep({ backend, plan, offerings, shown, onChange, onReplace }: Props) {
  const locationKnown = offerings.locations.some((l) => l.id === plan.location);
  const groupKnown = offerings.resourceGroups.some((g) => g.id === plan.resourceGroupId);
  const existing = plan.existing ?? null;
  const useNew = async () => onReplace(await backend.chooseExistingDatabase(plan, null));

  return (
    <section className="onramp-step" aria-labelledby="basics-title">
      <Stack gap={6}>
        <StepHeading step="basics">
          Name the database and choose where it runs, or use one you already have. Nothing is created until you apply
          the reviewed plan.
        </StepHeading>

        <RadioButtonGroup
          legendText="Database"
          name="database-source"
          orientation="vertical"
          valueSelected={existing ? 'existing' : 'new'}
          onChange={(value) => {
            if (value === 'new') void useNew();
            else onChange({ existing: { crn: '', name: '' } });
          }}
        >
          <RadioButton id="basics-new" value="new" labelText="Create a new database" />
          <RadioButton id="basics-existing" value="existing" labelText="Use a database I already have" />
        </RadioButtonGroup>

        {existing ? (
          <ExistingDatabases backend={backend} plan={plan} message={shown.name} onReplace={onReplace} />
        ) : (
          <NewDatabase plan={plan} offerings={offerings} shown={shown} onChange={onChange} locationKnown={locationKnown} groupKnown={groupKnown} />
        )}
      </Stack>
    </section>
  );
}

function NewDatabase({
  plan,
  offerings,
  shown,
  onChange,
  locationKnown,
  groupKnown,
}: Omit<Props, 'backend' | 'onReplace'> & { locationKnown: boolean; groupKnown: boolean }) {
  return (
    <>

        <TextInput
          id="plan-name"
          labelText="Service name"
          helperText="Up to 180 characters: letters, digits, spaces and - . _ : (no space at the start or end). It is how the database appears in your resource list."
          autoComplete="off"
          spellCheck={false}
          value={plan.name}
          onChange={(e) => onChange({ name: e.target.value })}
          {...invalidProps('plan-name', shown.name)}
        />

        <Select
          id="plan-location"
          labelText="Location"
          helperText="Only locations that offer Databases for PostgreSQL Gen 2 (standard-gen2)"
          value={plan.location}
          onChange={(e) => onChange(withLocation(plan, offerings, e.target.value))}
          {...invalidProps('plan-location', shown.location)}
        >
          {!locationKnown && <SelectItem value={plan.location} text={plan.location ? `${plan.location} (not offered)` : 'Choose a location'} />}
          {offerings.locations.map((l) => (
            <SelectItem key={l.id} value={l.id} text={l.label} />
          ))}
        </Select>

        <Select
          id="plan-resource-group"
          labelText="Resource group"
          helperText="Groups the database with related resources for access and billing."
          value={plan.resourceGroupId}
          onChange={(e) => onChange({ resourceGroupId: e.target.value })}
          {...invalidProps('plan-resource-group', shown.resourceGroupId)}
        >
          {!groupKnown && (
            <SelectItem
              value={plan.resourceGroupId}
              text={plan.resourceGroupId ? `${plan.resourceGroupId} (not in this account)` : 'Choose a resource group'}
            />
          )}
          {offerings.resourceGroups.map((g) => (
            <SelectItem key={g.id} value={g.id} text={g.isDefault ? `${g.name} (default)` : g.name} />
          ))}
        </Select>
    </>
  );
}
