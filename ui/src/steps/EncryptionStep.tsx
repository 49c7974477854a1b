// Step 4, Encryption: the provider-managed key, or a Key Protect root key and the authorization it needs.
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
} from '@carbon/react';

import {
  asAppError,
  type AppError,
  type Backend,
  type DraftPlan,
  type EncryptionOptions,
  type KeyProtectChoice,
} from '../backend';
import { emptyKeyProtect } from '../plan';
import { StepHeading, invalidProps } from './StepHeading';

type KeyProtect = { kind: 'KeyProtect' } & KeyProtectChoice;

interface Props {
  backend: Backend;
  plan: DraftPlan;
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
}

/**
 * Fits a Key Protect choice to what the account has now: the authorization's state (keeping
 * the user's "don't create it"), the instance (the only one, if there is just one), and the
 * key only while that instance still has it.
 */
function fitChoice(choice: KeyProtect, found: EncryptionOptions): KeyProtect {
  const authorization =
    found.authorization === 'Exists' ? 'Exists' : choice.authorization === 'Missing' ? 'Missing' : 'Create';
  const instance =
    found.instances.find((i) => i.guid === choice.instanceGuid) ??
    (found.instances.length === 1 ? found.instances[0] : undefined);
  const key = instance?.rootKeys.find((k) => k.crn === choice.keyCrn);
  return {
    ...choice,
    authorization,
    instanceGuid: instance?.guid ?? '',
    instanceName: instance?.name ?? '',
    region: instance?.region ?? '',
    keyCrn: key?.crn ?? '',
    keyName: key?.name ?? '',
  };
}

/** Step 4: the provider's key, or the user's own Key Protect root key and the authorization it needs. */
export function EncryptionStep({ backend, plan, shown, onChange }: Props) {
  const [options, setOptions] = useState<EncryptionOptions | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  // The plan as last rendered, or as just chosen (a render may not have happened yet).
  const latest = useRef(plan);
  latest.current = plan;
  const lastChoice = useRef<KeyProtect | null>(null);
  const alive = useRef(true);
  const kp = plan.encryption.kind === 'KeyProtect' ? plan.encryption : null;

  const check = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const found = await backend.encryptionOptions();
      if (!alive.current) return;
      setOptions(found);
      const choice = latest.current.encryption;
      // Sent even when nothing changed: a fresh look answers what Review said about it.
      if (choice.kind === 'KeyProtect') onChange({ encryption: fitChoice(choice, found) });
    } catch (e) {
      if (alive.current) setError(asAppError(e));
    } finally {
      if (alive.current) setLoading(false);
    }
  }, [backend, onChange]);

  const checkOnOpen = useRef(check);
  useEffect(() => {
    alive.current = true;
    // Look once when the step opens; "Check again" looks again.
    if (latest.current.encryption.kind === 'KeyProtect') void checkOnOpen.current();
    return () => {
      alive.current = false;
    };
  }, []);

  const choose = (kind: string) => {
    if (kind === plan.encryption.kind) return;
    let encryption: DraftPlan['encryption'];
    if (kind === 'KeyProtect') {
      encryption = lastChoice.current ?? emptyKeyProtect();
    } else {
      if (kp) lastChoice.current = kp;
      encryption = { kind: 'ProviderManaged' };
    }
    latest.current = { ...plan, encryption };
    onChange({ encryption });
    if (kind === 'KeyProtect') void check();
  };

  const instance = options?.instances.find((i) => i.guid === kp?.instanceGuid);
  const keyMessage = shown['encryption.key'];
  const authorizationMessage = shown['encryption.authorization'];
  const showChoices = Boolean(kp && options && !loading);
  const showKeys = showChoices && (options?.instances.length ?? 0) > 0;
  const showCheckbox = showChoices && options?.authorization === 'Missing';
  // A message whose control is not on screen (the list did not load) shows by the choice itself.
  const unplaced = [!showKeys && keyMessage, !showCheckbox && authorizationMessage].filter(Boolean).join(' ');

  const updateChoice = (patch: Partial<KeyProtectChoice>) => {
    if (kp) onChange({ encryption: { ...kp, ...patch } });
  };

  return (
    <section className="onramp-step" aria-labelledby="encryption-title">
      <Stack gap={6}>
        <StepHeading step="encryption">
          Every Databases for PostgreSQL disk is encrypted. Choose whose key does it: the service&apos;s own, or a root
          key you keep in Key Protect.
        </StepHeading>

        <RadioButtonGroup
          legendText="Disk encryption key"
          name="encryption"
          orientation="vertical"
          valueSelected={plan.encryption.kind}
          onChange={(value) => choose(String(value))}
          invalid={Boolean(kp && unplaced && !loading)}
          invalidText={unplaced}
        >
          <RadioButton
            id="enc-provider"
            value="ProviderManaged"
            labelText="Provider-managed key (default): the instance creates and manages its own key (LUKS AES-256)"
          />
          <RadioButton
            id="enc-key-protect"
            value="KeyProtect"
            labelText="Key Protect key: bring your own root key from a Key Protect instance"
          />
        </RadioButtonGroup>

        {kp && loading && <InlineLoading description="Looking for your Key Protect instances and the authorization…" />}

        {kp && error && !loading && (
          <InlineNotification
            id="enc-error"
            kind="error"
            lowContrast
            hideCloseButton
            role="alert"
            title={error.message}
            subtitle={[error.hint, error.requestId && `Request ID: ${error.requestId}`].filter(Boolean).join(' ')}
          />
        )}

        {showChoices && options && kp && (
          <Stack gap={5}>
            {options.instances.length === 0 && (
              <InlineNotification
                kind="warning"
                lowContrast
                hideCloseButton
                title="This account has no Key Protect instance."
                subtitle="Create one in the IBM Cloud catalog (Key Protect) and add a root key to it, then check again. Or use the provider-managed key."
              />
            )}
            {options.instances.length > 0 && (
              <Select
                id="enc-kp-instance"
                labelText="Key Protect instance"
                helperText="The instance that holds the root key, and its region."
                value={kp.instanceGuid}
                onChange={(e) => {
                  const chosen = options.instances.find((i) => i.guid === e.target.value);
                  updateChoice({
                    instanceGuid: chosen?.guid ?? '',
                    instanceName: chosen?.name ?? '',
                    region: chosen?.region ?? '',
                    keyCrn: '',
                    keyName: '',
                  });
                }}
                {...invalidProps('enc-kp-instance', instance ? undefined : keyMessage)}
              >
                {!instance && <SelectItem value="" text="Choose an instance" />}
                {options.instances.map((i) => (
                  <SelectItem key={i.guid} value={i.guid} text={`${i.name} (${i.region})`} />
                ))}
              </Select>
            )}
            {instance?.problem && (
              <InlineNotification
                id="enc-instance-problem"
                kind="warning"
                lowContrast
                hideCloseButton
                title={`Onramp could not list the keys of ${instance.name}.`}
                subtitle={instance.problem}
              />
            )}
            {options.instances.length > 0 && (
              <Select
                id="enc-kp-key"
                labelText="Root key"
                helperText={
                  instance && !instance.problem && instance.rootKeys.length === 0
                    ? 'This instance has no active root key. Create one in Key Protect, then check again.'
                    : 'Only an active root key can protect a database.'
                }
                disabled={!instance}
                value={kp.keyCrn}
                onChange={(e) => {
                  const key = instance?.rootKeys.find((k) => k.crn === e.target.value);
                  updateChoice({ keyCrn: key?.crn ?? '', keyName: key?.name ?? '' });
                }}
                {...invalidProps('enc-kp-key', instance ? keyMessage : undefined)}
              >
                {!instance?.rootKeys.some((k) => k.crn === kp.keyCrn) && <SelectItem value="" text="Choose a root key" />}
                {instance?.rootKeys.map((k) => <SelectItem key={k.crn} value={k.crn} text={k.name} />)}
              </Select>
            )}

            {options.authorization === 'Exists' ? (
              <InlineNotification
                id="enc-authorization-ok"
                kind="success"
                lowContrast
                hideCloseButton
                title="Databases for PostgreSQL is authorized to use Key Protect keys"
              />
            ) : (
              <Stack gap={4}>
                <InlineNotification
                  id="enc-authorization-missing"
                  kind="warning"
                  lowContrast
                  hideCloseButton
                  title="Databases for PostgreSQL is not yet authorized to use Key Protect keys."
                  subtitle="Bringing your own key needs a service-to-service authorization in IAM: Databases for PostgreSQL (the source) gets the Reader and Authorization Delegator roles on Key Protect (the target), so the database can read its root key."
                />
                <div>
                  <Checkbox
                    id="enc-create-authorization"
                    labelText="Create the authorization before the database (Reader and Authorization Delegator, for all Key Protect instances in the account)"
                    checked={kp.authorization === 'Create'}
                    onChange={(_, { checked }) => updateChoice({ authorization: checked ? 'Create' : 'Missing' })}
                    invalid={Boolean(authorizationMessage)}
                    invalidText={authorizationMessage}
                    // Carbon's checkbox message has no id to describe the box by; this copy has.
                    aria-describedby={authorizationMessage ? 'enc-create-authorization-error-msg' : undefined}
                  />
                  {authorizationMessage && (
                    <span id="enc-create-authorization-error-msg" className="cds--visually-hidden">
                      {authorizationMessage}
                    </span>
                  )}
                </div>
              </Stack>
            )}
          </Stack>
        )}

        {kp && (
          <div>
            <Button id="enc-check-again" kind="tertiary" size="md" disabled={loading} onClick={() => void check()}>
              Check again
            </Button>
          </div>
        )}
      </Stack>
    </section>
  );
}
