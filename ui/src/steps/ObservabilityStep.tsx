// Step 10, Observability: where the database's platform metrics go (Monitoring) and where
// its activity events go (Cloud Logs): off, an existing instance in its region, or a new
// one; the account-wide changes they need shown whole and confirmed; and Apply, which adds
// them to the plan like any other resource.
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
  type ActivityChoice,
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
  /** Which of the plan's routes are in place (the journal says so). */
  routed: { metrics: boolean; activity: boolean; platformLogs: boolean };
}

type Kind = MonitoringChoice['kind'];
type Observability = Required<NonNullable<DraftPlan['observability']>>;

const OFF: Observability = {
  monitoring: { kind: 'Off' },
  confirmedMetadataRegion: null,
  activity: { kind: 'Off' },
  confirmedActivityRegion: null,
  platformLogs: false,
  confirmedLogsRegion: null,
};

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

  const chosen = plan.observability;
  const current: Observability = {
    monitoring: chosen?.monitoring ?? OFF.monitoring,
    confirmedMetadataRegion: chosen?.confirmedMetadataRegion ?? null,
    activity: chosen?.activity ?? OFF.activity,
    confirmedActivityRegion: chosen?.confirmedActivityRegion ?? null,
    platformLogs: chosen?.platformLogs ?? false,
    confirmedLogsRegion: chosen?.confirmedLogsRegion ?? null,
  };
  const monitoring: MonitoringChoice = current.monitoring;
  const activity: ActivityChoice = current.activity;
  const anything = monitoring.kind !== 'Off' || activity.kind !== 'Off';

  useEffect(() => {
    setError(null);
    backend
      .observabilityOptions(plan.location)
      .then((found) => alive.current && setOptions(found))
      .catch((e) => alive.current && setError(asAppError(e)));
  }, [backend, plan.location]);

  // The account-wide changes depend on the choices (off changes nothing), on the account
  // now, and on what the user confirmed. What is shown stays while it is read again (no
  // flicker under the pointer), and only the answer to the latest question counts.
  const [fresh, setFresh] = useState(false);
  const asked = useRef(0);
  const choiceKey = JSON.stringify(current);
  useEffect(() => {
    const question = ++asked.current;
    if (!anything) {
      setChanges([]);
      setFresh(true);
      return;
    }
    setFresh(false);
    backend
      .accountChanges(plan)
      .then((found) => {
        if (!alive.current || question !== asked.current) return;
        setChanges(found);
        setFresh(true);
      })
      .catch((e) => alive.current && question === asked.current && setError(asAppError(e)));
    // The plan's other fields do not change what the account needs.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, choiceKey, plan.location]);

  /** The plan's observability with `patch`; none at all when everything is off. */
  const set = useCallback(
    (patch: Partial<Observability>) => {
      const next = { ...current, ...patch };
      const none = next.monitoring.kind === 'Off' && next.activity.kind === 'Off' && !next.platformLogs;
      onChange({ observability: none ? null : next });
    },
    // `current` is derived from the plan, which is what changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [onChange, choiceKey],
  );
  const choose = (next: MonitoringChoice) => set({ monitoring: next });
  const chooseActivity = (next: ActivityChoice) => set({ activity: next });

  const instances = options?.monitoringInstances ?? [];
  const plans = options?.monitoringPlans ?? [];
  const logsInstances = options?.logsInstances ?? [];
  const onActivityKind = (kind: ActivityChoice['kind']) => {
    if (kind === 'Off') set({ activity: { kind: 'Off' }, platformLogs: false });
    else if (kind === 'Existing') {
      const first = logsInstances[0];
      chooseActivity({ kind: 'Existing', crn: first?.crn ?? '', name: first?.name ?? '' });
    } else chooseActivity({ kind: 'Create' });
  };
  const onKind = (kind: Kind) => {
    if (kind === 'Off') choose({ kind: 'Off' });
    else if (kind === 'Existing') {
      const first = instances[0];
      choose({ kind: 'Existing', crn: first?.crn ?? '', name: first?.name ?? '' });
    } else choose({ kind: 'Create', plan: 'graduated-tier' });
  };
  const pending = (changes ?? []).filter((c) => !c.confirmed);
  const monitoringProblem = shown['observability.monitoring'];
  const activityProblem = shown['observability.activity'];
  const platformLogsProblem = shown['observability.platformLogs'];
  const allRouted =
    (monitoring.kind === 'Off' || routed.metrics) &&
    (activity.kind === 'Off' || routed.activity) &&
    (!current.platformLogs || routed.platformLogs) &&
    anything;
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

        {routed.metrics && monitoring.kind !== 'Off' && (
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

        <Stack gap={5}>
          <h2 className="onramp-review__heading">Activity tracking and platform logs</h2>
          {routed.activity && activity.kind !== 'Off' && (
            <InlineNotification
              id="obs-activity-routed"
              kind="success"
              lowContrast
              hideCloseButton
              title="Events are routed"
              subtitle={`Activity events go to ${activity.kind === 'Existing' ? activity.name : 'the new Cloud Logs instance'}.`}
            />
          )}
          {options && (
            <RadioButtonGroup
              legendText="Activity events (the database's, and the account's global events)"
              name="obs-activity"
              orientation="vertical"
              valueSelected={activity.kind}
              onChange={(value) => onActivityKind(String(value) as ActivityChoice['kind'])}
            >
              <RadioButton id="obs-activity-off" labelText="Off: Onramp routes no events" value="Off" />
              <RadioButton
                id="obs-activity-existing"
                labelText={
                  logsInstances.length === 0
                    ? `Use an existing Cloud Logs instance (there is none in ${plan.location} that you can see)`
                    : `Use an existing Cloud Logs instance in ${plan.location} (kept by teardown)`
                }
                value="Existing"
                disabled={logsInstances.length === 0}
              />
              <RadioButton id="obs-activity-create" labelText="Create a new Cloud Logs instance" value="Create" />
            </RadioButtonGroup>
          )}
          {activity.kind === 'Existing' && (
            <Select
              id="obs-activity-instance"
              labelText="Cloud Logs instance"
              value={activity.crn}
              onChange={(e) => {
                const found = logsInstances.find((i) => i.crn === e.target.value);
                if (found) chooseActivity({ kind: 'Existing', crn: found.crn, name: found.name });
              }}
              helperText="Onramp uses it and never deletes it."
              {...invalidProps('obs-activity-instance', activityProblem)}
            >
              {logsInstances.map((i) => (
                <SelectItem key={i.crn} value={i.crn} text={i.name} />
              ))}
            </Select>
          )}
          {activity.kind === 'Create' && (
            <div id="obs-activity-cost" className="onramp-step__text">
              <p>Cloud Logs has one plan, Standard, billed by the GB ingested; Onramp keeps events for 7 days.</p>
              {(options?.logsPrices.length ?? 0) > 0 ? (
                <>
                  <p>The catalog&apos;s prices in {plan.location}:</p>
                  <ul className="onramp-problem-list">
                    {options?.logsPrices.map((line) => (
                      <li key={line}>{line}</li>
                    ))}
                  </ul>
                </>
              ) : (
                <p>The catalog lists no price for {plan.location}.</p>
              )}
            </div>
          )}
          <Checkbox
            id="obs-platform-logs"
            labelText="Also send platform logs to this Cloud Logs instance (through Logs Routing)"
            helperText="Logs Routing routes by location: every platform log in the database's location goes there."
            checked={current.platformLogs}
            disabled={activity.kind === 'Off'}
            invalid={Boolean(platformLogsProblem)}
            invalidText={platformLogsProblem}
            onChange={(_, { checked }) => set({ platformLogs: checked })}
          />
          {routed.platformLogs && current.platformLogs && (
            <InlineNotification
              id="obs-logs-routed"
              kind="success"
              lowContrast
              hideCloseButton
              title="Platform logs are routed"
              subtitle="The database's location sends its platform logs to the Cloud Logs instance."
            />
          )}
        </Stack>

        {anything && changes === null && <InlineLoading description="Reading the account's routing settings…" />}
        {(changes ?? []).map((change) => (
          <Stack gap={4} key={change.key} id={`obs-account-change-${change.key}`}>
            <h2 className="onramp-review__heading">An account-wide change: {change.service}</h2>
            <p>{change.why}</p>
            <ChangeTable change={change} />
            <Checkbox
              id={`obs-confirm-${change.key}`}
              labelText={`I confirm this change to ${change.service} for the whole account`}
              checked={change.confirmed}
              invalid={Boolean(settingsProblem) && !change.confirmed}
              invalidText={settingsProblem}
              onChange={(_, { checked }) => {
                const region = checked ? plan.location : null;
                set(
                  change.key === 'atracker'
                    ? { confirmedActivityRegion: region }
                    : change.key === 'logs-router'
                      ? { confirmedLogsRegion: region }
                      : { confirmedMetadataRegion: region },
                );
              }}
            />
          </Stack>
        ))}

        <div>
          <Button
            id="obs-apply"
            kind="primary"
            disabled={applying || !anything || pending.length > 0 || !fresh || allRouted}
            onClick={apply}
          >
            {allRouted ? 'Applied' : 'Apply to this plan'}
          </Button>
          {pending.length > 0 && (
            <p className="onramp-step__text" id="obs-apply-reason">
              Confirm the account-wide changes above first.
            </p>
          )}
          {applying && <InlineLoading description="Checking the plan and starting…" />}
        </div>
      </Stack>
    </section>
  );
}
