// Step 2, Basics: the database's name, its location and its resource group.
import { Select, SelectItem, Stack, TextInput } from '@carbon/react';

import type { DraftPlan, Offerings } from '../backend';
import { withLocation } from '../plan';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  plan: DraftPlan;
  offerings: Offerings;
  /** The message to show at each field, by field name. */
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
}

/** Step 2: the service's name, where it runs, and which resource group holds it. */
export function BasicsStep({ plan, offerings, shown, onChange }: Props) {
  const locationKnown = offerings.locations.some((l) => l.id === plan.location);
  const groupKnown = offerings.resourceGroups.some((g) => g.id === plan.resourceGroupId);

  return (
    <section className="onramp-step" aria-labelledby="basics-title">
      <Stack gap={6}>
        <StepHeading step="basics">
          Name the database and choose where it runs. Nothing is created until you apply the reviewed plan.
        </StepHeading>

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
      </Stack>
    </section>
  );
}
