// Step 10, Observability: where the database's platform metrics go (off, an existing
// Monitoring instance in its region, or a new one), the account-wide change that can need
// shown whole and confirmed, and Apply, which adds it to the plan like any other resource.
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Button,
  Checkbox,
  InlineLoading,
  InlineNotification,
  RadioButton,
  RadioButtonGroup,
  Select,
  SelectItem,
  Stack,
  StructuredListBody,
  StructuredListCell,
  StructuredListHead,
  StructuredListRow,
  StructuredListWrapper,
} from '@carbon/react';

import {
  asAppError,
  type AccountChange,
  type AppError,
  type Backend,
  type DraftPlan,
  type MonitoringChoice,
  type MonitoringPlan,
  type ObservabilityOptions,
} from '../backend';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  backend: Backend;
  plan: DraftPlan;
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
  /** Applies the plan as it now is; resolves with a refusal to show here, if any. */
  onApply: () => Promise<AppError | null>;
  /** Whether the plan's metrics route is already in place (the journal says so). */
  routed: boolean;
}

type Kind = MonitoringChoice['kind'];

/** One account-wide change, whole, with what changes marked. */
function ChangeTable({ change }: { change: AccountChange }) {
  return (
    <StructuredListWrapper aria-label={`${change.service} account settings, before and after`} isCondensed>
      <StructuredListHead>
        <StructuredListRow head>
          <StructuredListCell head>Setting</StructuredListCell>
          <StructuredListCell head>Now</StructuredListCell>
          <StructuredListCell head>After this plan</StructuredListCell>
        </StructuredListRow>
      </StructuredListHead>
      <StructuredListBody>
        {change.settings.map((s) => (
          <StructuredListRow key={s.label} data-changed={s.changed ? 'true' : 'false'}>
            <StructuredListCell>{s.changed ? <strong>{s.label}</strong> : s.label}</StructuredListCell>
            <StructuredListCell>{s.before}</StructuredListCell>
            <StructuredListCell>{s.changed ? <strong>{s.after}</strong> : 'unchanged'}</StructuredListCell>
          </StructuredListRow>
        ))}
      </StructuredListBody>
    </StructuredListWrapper>
  );
}

/** Step 10: Monitoring for this database, through Metrics Routing. */
export function ObservabilityStep({ backend, plan, shown, onChange, onApply, routed }: Props) {
  const [options, setOptions] = useState<ObservabilityOptions | null>(null);
  const [changes, setChanges] = useState<AccountChange[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [applying, setApplying] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const monitoring: MonitoringChoice = plan.observability?.monitoring ?? { kind: 'Off' };
  const confirmed = plan.observability?.confirmedMetadataRegion ?? null;

  useEffect(() => {
    setError(null);
    backend
      .observabilityOptions(plan.location)
      .then((found) => alive.current && setOptions(found))
      .catch((e) => alive.current && setError(asAppError(e)));
  }, [backend, plan.location]);

  // The account-wide change depends on the choice (off changes nothing) and on the account now.
  const choiceKey = JSON.stringify(monitoring);
  useEffect(() => {
    setChanges(null);
    if (monitoring.kind === 'Off') {
      setChanges([]);
      return;
    }
    backend
      .accountChanges(plan)
      .then((found) => alive.current && setChanges(found))
      .catch((e) => alive.current && setError(asAppError(e)));
    // The plan's other fields do not change what the account needs.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, choiceKey, plan.location, confirmed]);

  const choose = useCallback(
    (next: MonitoringChoice) => {
      onChange({
        observability:
          next.kind === 'Off' ? null : { monitoring: next, confirmedMetadataRegion: confirmed },
      });
    },
    [onChange, confirmed],
  );

  const instances = options?.monitoringInstances ?? [];
  const plans = options?.monitoringPlans ?? [];
  const onKind = (kind: Kind) => {
    if (kind === 'Off') choose({ kind: 'Off' });
    else if (kind === 'Existing') {
      const first = instances[0];
      choose({ kind: 'Existing', crn: first?.crn ?? '', name: first?.name ?? '' });
    } else choose({ kind: 'Create', plan: 'graduated-tier' });
  };
  const pending = (changes ?? []).filter((c) => !c.confirmed);
  const monitoringProblem = shown['observability.monitoring'];
  const settingsProblem = shown['observability.accountSettings'];

  const apply = async () => {
    setApplying(true);
    setError(null);
    const refused = await onApply();
    if (!alive.current) return;
    setApplying(false);
    if (refused) setError(refused);
  };

  return (
    <section className="onramp-step" aria-labelledby="observability-title">
      <Stack gap={6}>
        <StepHeading step="observability">
          Send this database&apos;s platform metrics (CPU, memory, disk, connections) to IBM Cloud Monitoring. Onramp
          adds a Metrics Routing target and a route for this database only; the rest of the account&apos;s metrics go
          where they went before.
        </StepHeading>

        {error && (
          <InlineNotification
            id="obs-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={error.message}
            subtitle={error.hint ?? undefined}
          />
        )}

        {routed && monitoring.kind !== 'Off' && (
          <InlineNotification
            id="obs-routed"
            kind="success"
            lowContrast
            hideCloseButton
            title="Metrics are routed"
            subtitle={`This database's platform metrics go to ${monitoring.kind === 'Existing' ? monitoring.name : 'the new Monitoring instance'}.`}
          />
        )}

        <Stack gap={5}>
          <h2 className="onramp-review__heading">Monitoring</h2>
          {!options && !error && <InlineLoading description={`Reading the Monitoring instances in ${plan.location}…`} />}
          {options && (
            <RadioButtonGroup
              legendText="Platform metrics"
              name="obs-monitoring"
              orientation="vertical"
              valueSelected={monitoring.kind}
              onChange={(value) => onKind(String(value) as Kind)}
            >
              <RadioButton id="obs-monitoring-off" labelText="Off: Onramp sets up no monitoring" value="Off" />
              <RadioButton
                id="obs-monitoring-existing"
                labelText={
                  instances.length === 0
                    ? `Use an existing instance (there is none in ${plan.location} that you can see)`
                    : `Use an existing instance in ${plan.location} (kept by teardown)`
                }
                value="Existing"
                disabled={instances.length === 0}
              />
              <RadioButton id="obs-monitoring-create" labelText="Create a new instance with this plan" value="Create" />
            </RadioButtonGroup>
          )}

          {monitoring.kind === 'Existing' && (
            <Select
              id="obs-monitoring-instance"
              labelText="Monitoring instance"
              value={monitoring.crn}
              onChange={(e) => {
                const found = instances.find((i) => i.crn === e.target.value);
                if (found) choose({ kind: 'Existing', crn: found.crn, name: found.name });
              }}
              helperText="Onramp uses it and never deletes it."
              {...invalidProps('obs-monitoring-instance', monitoringProblem)}
            >
              {instances.map((i) => (
                <SelectItem
                  key={i.crn}
                  value={i.crn}
                  text={`${i.name}${i.plan ? ` (${i.plan})` : ''}${i.defaultReceiver ? ', the region’s platform-metrics receiver' : ''}`}
                />
              ))}
            </Select>
          )}

          {monitoring.kind === 'Create' && (
            <Stack gap={3}>
              <Select
                id="obs-monitoring-plan"
                labelText="Monitoring plan"
                value={monitoring.plan}
                onChange={(e) => choose({ kind: 'Create', plan: e.target.value as MonitoringPlan })}
                {...invalidProps('obs-monitoring-plan', monitoringProblem)}
              >
                {plans.map((p) => (
                  <SelectItem key={p.plan} value={p.plan} text={p.label} />
                ))}
              </Select>
              {plans
                .filter((p) => p.plan === monitoring.plan)
                .map((p) => (
                  <div key={p.plan} id="obs-monitoring-cost" className="onramp-step__text">
                    <p>{p.note}</p>
                    {p.prices.length > 0 ? (
                      <>
                        <p>The catalog&apos;s prices in {plan.location}:</p>
                        <ul className="onramp-problem-list">
                          {p.prices.map((line) => (
                            <li key={line}>{line}</li>
                          ))}
                        </ul>
                      </>
                    ) : (
                      <p>{p.plan === 'lite' ? 'No charge during the 30 days.' : `The catalog lists no price for ${plan.location}.`}</p>
                    )}
                  </div>
                ))}
            </Stack>
          )}
        </Stack>

        {monitoring.kind !== 'Off' && changes === null && <InlineLoading description="Reading the account's Metrics Routing settings…" />}
        {(changes ?? []).map((change) => (
          <Stack gap={4} key={change.service} id="obs-account-change">
            <h2 className="onramp-review__heading">An account-wide change: {change.service}</h2>
            <p>{change.why}</p>
            <ChangeTable change={change} />
            <Checkbox
              id="obs-confirm"
              labelText={`I confirm this change to ${change.service}'s settings for the whole account`}
              checked={change.confirmed}
              invalid={Boolean(settingsProblem) && !change.confirmed}
              invalidText={settingsProblem}
              onChange={(_, { checked }) =>
                onChange({
                  observability: { monitoring, confirmedMetadataRegion: checked ? plan.location : null },
                })
              }
            />
          </Stack>
        ))}

        <Stack gap={3}>
          <h2 className="onramp-review__heading">Platform logs and activity tracking</h2>
          <p>
            Onramp does not set up IBM Cloud Logs, Logs Routing or Activity Tracker yet. The IBM Cloud console does:
            Observability, then Logs Routing and Activity Tracker Event Routing.
          </p>
        </Stack>

        <div>
          <Button
            id="obs-apply"
            kind="primary"
            disabled={applying || monitoring.kind === 'Off' || pending.length > 0 || changes === null || routed}
            onClick={apply}
          >
            {routed ? 'Applied' : 'Apply to this plan'}
          </Button>
          {pending.length > 0 && (
            <p className="onramp-step__text" id="obs-apply-reason">
              Confirm the account-wide change above first.
            </p>
          )}
          {applying && <InlineLoading description="Checking the plan and starting…" />}
        </div>
      </Stack>
    </section>
  );
}
