// Step 3, Sizing: members, host flavor, storage per member and PostgreSQL version, from what the location offers.
import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { InlineNotification, RadioButton, RadioButtonGroup, Select, SelectItem, Stack, Tag, TextInput } from '@carbon/react';

import type { DraftPlan, Offerings } from '../backend';
import { locationOf } from '../plan';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  plan: DraftPlan;
  offerings: Offerings;
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
  /** For input the back end could not judge (not a number); null clears it. */
  onLocalProblem: (field: string, message: string | null) => void;
}

/** A field with a tag at the end of its label row, saying what can change after deployment. */
function Marked({ mark, children }: { mark: string; children: ReactNode }) {
  return (
    <div className="onramp-field">
      {children}
      <Tag type="warm-gray" size="sm" className="onramp-field__mark">
        {mark}
      </Tag>
    </div>
  );
}

/** Step 3: how many members, how big each one is, its disk, and the PostgreSQL version. */
export function SizingStep({ plan, offerings, shown, onChange, onLocalProblem }: Props) {
  const location = locationOf(offerings, plan.location);
  const flavors = location?.flavors ?? [];
  const versions = location?.versions ?? [];
  const min = location?.storageMinGb ?? 10;
  const max = location?.storageMaxGb ?? 9600;
  const [storage, setStorage] = useState(String(plan.storageGb));

  // Leaving the step forgets text that never became a number; the plan keeps the last one.
  useEffect(() => () => onLocalProblem('storageGb', null), [onLocalProblem]);

  const changeStorage = (event: ChangeEvent<HTMLInputElement>) => {
    const text = event.target.value.trim();
    setStorage(event.target.value);
    const range = `a whole number of GB from ${min} to ${max}`;
    const value = Number(text);
    let message: string | null = null;
    if (text === '') {
      // A number input reports letters as an empty value with `badInput`.
      message = event.target.validity?.badInput
        ? `That is not a number. Enter ${range}.`
        : `Enter the storage per member, ${range}.`;
    } else if (!Number.isFinite(value)) message = `That is not a number. Enter ${range}.`;
    else if (!Number.isInteger(value)) message = `Storage per member must be ${range} (you entered ${text}).`;
    else if (!Number.isSafeInteger(value)) message = `Storage per member must be ${range}; ${text} is far too large.`;
    // Any whole number goes to the back end, whose rule (and message) says whether it fits.
    else onChange({ storageGb: value });
    onLocalProblem('storageGb', message);
  };

  const flavorOffered = flavors.some((f) => f.id === plan.hostFlavor);
  const versionOffered = versions.includes(plan.version);

  return (
    <section className="onramp-step" aria-labelledby="sizing-title">
      <Stack gap={6}>
        <StepHeading step="sizing">
          Size the database in {location?.label ?? plan.location}. Members, host flavor and disk can be scaled after
          deployment; the PostgreSQL version cannot.
        </StepHeading>

        <RadioButtonGroup
          legendText="Members"
          name="members"
          orientation="vertical"
          valueSelected={String(plan.members)}
          onChange={(value) => onChange({ members: Number(value) })}
          invalid={Boolean(shown.members)}
          invalidText={shown.members}
        >
          <RadioButton
            id="plan-members-2"
            value="2"
            labelText="2 members: high availability across two zones (default)"
          />
          <RadioButton id="plan-members-3" value="3" labelText="3 members: high availability across three zones" />
        </RadioButtonGroup>

        <Stack gap={4}>
          <Marked mark="Can be scaled later">
            <Select
              id="plan-host-flavor"
              labelText="Host flavor"
              helperText="The vCPUs and memory of each member."
              value={plan.hostFlavor}
              onChange={(e) => onChange({ hostFlavor: e.target.value })}
              {...invalidProps('plan-host-flavor', shown.hostFlavor)}
            >
              {!flavorOffered && (
                <SelectItem
                  value={plan.hostFlavor}
                  text={plan.hostFlavor ? `${plan.hostFlavor} (not offered here)` : 'Choose a host flavor'}
                />
              )}
              {flavors.map((f) => (
                <SelectItem key={f.id} value={f.id} text={`${f.id} — ${f.cpu} vCPU × ${f.memoryGb} GB RAM per member`} />
              ))}
            </Select>
          </Marked>
          {location?.flavorsSource === 'Documented' && (
            <InlineNotification
              id="flavors-documented"
              kind="info"
              lowContrast
              hideCloseButton
              title="Documented list"
              subtitle="IBM's catalog does not list host flavors for this location; this is the documented list."
            />
          )}
        </Stack>

        <Marked mark="Disk can grow later but never shrink">
          <TextInput
            id="plan-storage"
            type="number"
            inputMode="numeric"
            min={min}
            max={max}
            step={1}
            labelText="Storage per member (GB)"
            helperText={`From ${min} to ${max} GB on each member.`}
            value={storage}
            onChange={changeStorage}
            {...invalidProps('plan-storage', shown.storageGb)}
          />
        </Marked>

        <Stack gap={4}>
          <Marked mark="Set only at deployment">
            <Select
              id="plan-version"
              labelText="PostgreSQL version"
              helperText="The newest is chosen by default. It cannot be changed after deployment."
              value={plan.version}
              onChange={(e) => onChange({ version: e.target.value })}
              {...invalidProps('plan-version', shown.version)}
            >
              {!versionOffered && (
                <SelectItem
                  value={plan.version}
                  text={plan.version ? `PostgreSQL ${plan.version} (not offered here)` : 'Choose a version'}
                />
              )}
              {versions.map((v, i) => (
                <SelectItem key={v} value={v} text={i === 0 ? `PostgreSQL ${v} (newest)` : `PostgreSQL ${v}`} />
              ))}
            </Select>
          </Marked>
          {location?.versionsSource === 'Documented' && (
            <InlineNotification
              id="versions-documented"
              kind="info"
              lowContrast
              hideCloseButton
              title="Documented list"
              subtitle="IBM's catalog does not list PostgreSQL versions for this location; this is the documented list."
            />
          )}
        </Stack>
      </Stack>
    </section>
  );
}
