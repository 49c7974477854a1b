// Step 5, Connectivity: the private path (VPC, subnet, SSH key, jump server, endpoint gateway, optional restriction).
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
  Tag,
  TextInput,
} from '@carbon/react';

import {
  asAppError,
  type AppError,
  type Backend,
  type Connectivity,
  type ConnectivityOptions,
  type DraftPlan,
  type SshKeyChoice,
  type SubnetChoice,
  type VpcChoice,
} from '../backend';
import { derivedNames } from '../plan';
import { StepHeading, invalidProps } from './StepHeading';

interface Props {
  backend: Backend;
  plan: DraftPlan;
  shown: Record<string, string>;
  onChange: (patch: Partial<DraftPlan>) => void;
  /** For a choice the region no longer has (after a location change); null clears it. */
  onLocalProblem: (field: string, message: string | null) => void;
}

/** The sizes offered for a new subnet, in addresses. */
const SUBNET_SIZES = [8, 16, 32, 64, 128, 256];
/** IBM keeps the first four addresses of every subnet and the last one. */
const RESERVED_ADDRESSES = 5;
export const OPEN_TO_ALL_WARNING =
  '0.0.0.0/0 lets anyone on the internet try to log in to the jump server. Only your SSH key gets in, but prefer your own address (/32).';

/** The fields whose choice must be one of the region's, checked by the window itself. */
const LISTED_FIELDS = [
  'connectivity.vpc',
  'connectivity.subnet',
  'connectivity.sshKey',
  'connectivity.jumpImage',
  'connectivity.jumpProfile',
];

/**
 * Fills in what the suggestion leaves open once the region's lists are known: the
 * recommended image (or the same image under this region's id), a profile, the SSH source
 * when Onramp knows it, and one of the region's zones for a new subnet. Returns `c` itself
 * when nothing changes.
 */
function fitConnectivity(c: Connectivity, found: ConnectivityOptions): Connectivity {
  let jump = c.jump;
  if (!found.images.some((i) => i.id === jump.imageId)) {
    // Stock images have the same name in every region but not the same id.
    const image = jump.imageId ? found.images.find((i) => i.name === jump.imageName) : found.images[0];
    if (image) jump = { ...jump, imageId: image.id, imageName: image.name };
  }
  if (!jump.profile && found.profiles[0]) jump = { ...jump, profile: found.profiles[0].name };
  const sshCidr = !c.sshCidr && found.sshSource.cidr ? found.sshSource.cidr : c.sshCidr;
  let subnet = c.subnet;
  if (subnet.kind === 'New' && !found.zones.includes(subnet.zone) && found.zones[0]) {
    subnet = { ...subnet, zone: found.zones[0] };
  }
  if (jump === c.jump && sshCidr === c.sshCidr && subnet === c.subnet) return c;
  return { ...c, jump, sshCidr, subnet };
}

/** `{ kind: 'Existing' }` of the only item of a list, else one still to choose. */
function onlyOne(items: { id: string; name: string }[]): { kind: 'Existing'; id: string; name: string } {
  const only = items.length === 1 ? items[0] : undefined;
  return { kind: 'Existing', id: only?.id ?? '', name: only?.name ?? '' };
}

/** Step 5: the private path from this computer to the database, or none. */
export function ConnectivityStep({ backend, plan, shown, onChange, onLocalProblem }: Props) {
  const [options, setOptions] = useState<ConnectivityOptions | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const latest = useRef(plan);
  latest.current = plan;
  const alive = useRef(true);
  const request = useRef(0);
  // The path as it was before the user opted out, and each choice's other kind as last left.
  const lastPath = useRef<Connectivity | null>(null);
  const remembered = useRef({
    vpc: new Map<string, VpcChoice>(),
    subnet: new Map<string, SubnetChoice>(),
    sshKey: new Map<string, SshKeyChoice>(),
  });

  const load = useCallback(
    async (location: string) => {
      const mine = ++request.current;
      setLoading(true);
      setError(null);
      try {
        const found = await backend.connectivityOptions(location, latest.current.id);
        if (!alive.current || mine !== request.current) return;
        setOptions(found);
        const c = latest.current.connectivity;
        // An opted-out plan (including a draft from before this step existed) stays so.
        if (c) {
          const fitted = fitConnectivity(c, found);
          if (fitted !== c) onChange({ connectivity: fitted });
        }
      } catch (e) {
        if (alive.current && mine === request.current) setError(asAppError(e));
      } finally {
        if (alive.current && mine === request.current) setLoading(false);
      }
    },
    [backend, onChange],
  );

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    void load(plan.location);
  }, [load, plan.location]);

  const c = plan.connectivity ?? null;
  const ready = options && options.region === plan.location ? options : null;

  // A choice the region's lists lack (the location changed, or it was deleted) is a problem
  // only the window can see: the back end's rules do not know the lists.
  useEffect(() => {
    if (!ready) return;
    if (!c) {
      for (const field of LISTED_FIELDS) onLocalProblem(field, null);
      return;
    }
    const gone = (name: string) => `${name} is not in ${ready.region}; choose again.`;
    const { vpc: chosenVpc, subnet, sshKey, jump } = c;
    const vpc = chosenVpc.kind === 'Existing' ? ready.vpcs.find((v) => v.id === chosenVpc.id) : undefined;
    onLocalProblem(
      'connectivity.vpc',
      chosenVpc.kind === 'Existing' && chosenVpc.id && !vpc ? gone(chosenVpc.name) : null,
    );
    onLocalProblem(
      'connectivity.subnet',
      chosenVpc.kind === 'Existing' && subnet.kind === 'Existing' && subnet.id && !vpc?.subnets.some((s) => s.id === subnet.id)
        ? gone(subnet.name)
        : null,
    );
    onLocalProblem(
      'connectivity.sshKey',
      sshKey.kind === 'Existing' && sshKey.id && !ready.keys.some((k) => k.id === sshKey.id) ? gone(sshKey.name) : null,
    );
    onLocalProblem(
      'connectivity.jumpImage',
      jump.imageId && !ready.images.some((i) => i.id === jump.imageId) ? gone(jump.imageName || jump.imageId) : null,
    );
    onLocalProblem(
      'connectivity.jumpProfile',
      jump.profile && !ready.profiles.some((p) => p.name === jump.profile)
        ? `${jump.profile} is not offered in ${ready.region}; choose again.`
        : null,
    );
  }, [ready, c, onLocalProblem]);

  const set = (patch: Partial<Connectivity>) => {
    if (c) onChange({ connectivity: { ...c, ...patch } });
  };

  const build = (checked: boolean) => {
    if (!checked) {
      if (c) lastPath.current = c;
      onChange({ connectivity: null });
      return;
    }
    const restored = lastPath.current ?? ready?.suggested;
    if (restored) onChange({ connectivity: ready ? fitConnectivity(restored, ready) : restored });
  };

  /** `c` with another VPC, and a subnet that can be in it. */
  const withVpc = (path: Connectivity, vpc: VpcChoice): Connectivity => {
    const before = path.subnet;
    if (vpc.kind === 'New' && before.kind === 'Existing') {
      // A new VPC has no subnets yet.
      remembered.current.subnet.set('Existing', before);
      const subnet = remembered.current.subnet.get('New') ?? ready?.suggested.subnet ?? before;
      return { ...path, vpc, subnet };
    }
    if (vpc.kind === 'Existing' && before.kind === 'Existing') {
      const subnets = ready?.vpcs.find((v) => v.id === vpc.id)?.subnets ?? [];
      if (!subnets.some((s) => s.id === before.id)) return { ...path, vpc, subnet: onlyOne(subnets) };
    }
    return { ...path, vpc };
  };

  const chooseVpcKind = (kind: string) => {
    if (!c || !ready || kind === c.vpc.kind) return;
    remembered.current.vpc.set(c.vpc.kind, c.vpc);
    const vpc = remembered.current.vpc.get(kind) ?? (kind === 'New' ? ready.suggested.vpc : onlyOne(ready.vpcs));
    onChange({ connectivity: withVpc(c, vpc) });
  };

  const chooseSubnetKind = (kind: string) => {
    if (!c || !ready || kind === c.subnet.kind) return;
    remembered.current.subnet.set(c.subnet.kind, c.subnet);
    const subnets = ready.vpcs.find((v) => c.vpc.kind === 'Existing' && v.id === c.vpc.id)?.subnets ?? [];
    const before = remembered.current.subnet.get(kind);
    const subnet =
      kind === 'New'
        ? (before ?? ready.suggested.subnet)
        : before?.kind === 'Existing' && subnets.some((s) => s.id === before.id)
          ? before
          : onlyOne(subnets);
    set({ subnet });
  };

  const chooseKeyKind = (kind: string) => {
    if (!c || !ready || kind === c.sshKey.kind) return;
    remembered.current.sshKey.set(c.sshKey.kind, c.sshKey);
    set({
      sshKey: remembered.current.sshKey.get(kind) ?? (kind === 'New' ? ready.suggested.sshKey : onlyOne(ready.keys)),
    });
  };

  const problem = (field: string) => shown[`connectivity.${field}`];
  const keyId = c?.sshKey.kind === 'Existing' ? c.sshKey.id : '';

  return (
    <section className="onramp-step" aria-labelledby="connectivity-title">
      <Stack gap={6}>
        <StepHeading step="connectivity">
          A Gen 2 database has only a private endpoint. Onramp builds the way in: a VPC in {plan.location}, a small
          jump server you reach over SSH, and a private endpoint gateway to the database.
        </StepHeading>

        <Checkbox
          id="conn-build"
          labelText="Build a private path to the database (recommended)"
          helperText="A VPC and subnet, an SSH key, a jump server with a floating IP, two security-group rules and an endpoint gateway (VPE)."
          checked={c !== null}
          disabled={c === null && !lastPath.current && !ready}
          onChange={(_, { checked }) => build(checked)}
        />

        {!c && (
          <InlineNotification
            id="conn-opt-out"
            kind="warning"
            lowContrast
            hideCloseButton
            title="Onramp will build no way to the database."
            subtitle={`Gen 2 has only a private endpoint, so without a private path the Connect step cannot reach the database. You would need your own VPN, or your own server in a VPC in ${plan.location}.`}
          />
        )}

        {loading && <InlineLoading description={`Reading the VPCs, SSH keys and images of ${plan.location}…`} />}

        {error && !loading && (
          <Stack gap={4}>
            <InlineNotification
              id="conn-error"
              kind="error"
              lowContrast
              hideCloseButton
              role="alert"
              title={error.message}
              subtitle={[error.hint, error.requestId && `Request ID: ${error.requestId}`].filter(Boolean).join(' ')}
            />
            <div>
              <Button id="conn-try-again" kind="tertiary" size="md" onClick={() => void load(plan.location)}>
                Try again
              </Button>
            </div>
          </Stack>
        )}

        {c && ready && !loading && (
          <Stack gap={7}>
            <VpcAndSubnet
              c={c}
              options={ready}
              problem={problem}
              onVpcKind={chooseVpcKind}
              onSubnetKind={chooseSubnetKind}
              onVpc={(vpc) => onChange({ connectivity: withVpc(c, vpc) })}
              onSubnet={(subnet) => set({ subnet })}
            />

            <Stack gap={5} as="section" aria-labelledby="conn-key-heading">
              <h2 id="conn-key-heading" className="onramp-review__heading">
                SSH key
              </h2>
              <RadioButtonGroup
                legendText="The key that logs in to the jump server"
                name="conn-key"
                orientation="vertical"
                valueSelected={c.sshKey.kind}
                onChange={(value) => chooseKeyKind(String(value))}
                helperText={
                  c.sshKey.kind === 'New'
                    ? 'Onramp generates an ed25519 key pair. The private half stays in your OS keychain; in the Connect step you can save it to a file for OpenSSH.'
                    : 'You must have this key’s private key file: the Connect step asks for it.'
                }
              >
                <RadioButton id="conn-key-new" value="New" labelText="Let Onramp generate a new key" />
                <RadioButton
                  id="conn-key-existing"
                  value="Existing"
                  disabled={ready.keys.length === 0}
                  labelText={
                    ready.keys.length === 0
                      ? `Use a key registered in ${ready.region} (it has none)`
                      : `Use a key registered in ${ready.region}`
                  }
                />
              </RadioButtonGroup>
              {c.sshKey.kind === 'New' ? (
                <TextInput
                  id="conn-key-name"
                  labelText="Name of the new key"
                  helperText="Lowercase letters, digits and hyphens. Teardown deletes the key and its private half."
                  autoComplete="off"
                  spellCheck={false}
                  value={c.sshKey.name}
                  onChange={(e) => set({ sshKey: { kind: 'New', name: e.target.value } })}
                  {...invalidProps('conn-key-name', problem('sshKey'))}
                />
              ) : (
                <Select
                  id="conn-key-select"
                  labelText="Registered key"
                  helperText="Teardown keeps a key you chose."
                  value={keyId}
                  onChange={(e) => {
                    const key = ready.keys.find((k) => k.id === e.target.value);
                    set({ sshKey: { kind: 'Existing', id: key?.id ?? '', name: key?.name ?? '' } });
                  }}
                  {...invalidProps('conn-key-select', problem('sshKey'))}
                >
                  {!ready.keys.some((k) => k.id === keyId) && <SelectItem value={keyId} text="Choose a key" />}
                  {ready.keys.map((k) => (
                    <SelectItem key={k.id} value={k.id} text={`${k.name} (${k.kind}, ${k.fingerprint})`} />
                  ))}
                </Select>
              )}
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="conn-jump-heading">
              <h2 id="conn-jump-heading" className="onramp-review__heading">
                Jump server
              </h2>
              <p className="onramp-step__text">
                A small virtual server that only forwards SSH to the database. Its SSH host key is generated by Onramp
                and installed through cloud-init, so there is no “trust this host?” prompt.
              </p>
              <TextInput
                id="conn-jump-name"
                labelText="Jump server name"
                helperText="Lowercase letters, digits and hyphens, at most 54 characters (Onramp adds -ip, -ssh and -postgres for what it names after it)."
                autoComplete="off"
                spellCheck={false}
                value={c.jump.name}
                onChange={(e) => set({ jump: { ...c.jump, name: e.target.value } })}
                {...invalidProps('conn-jump-name', problem('jumpName'))}
              />
              <Select
                id="conn-jump-profile"
                labelText="Profile"
                helperText="The first is enough: the server only forwards one port."
                value={c.jump.profile}
                onChange={(e) => set({ jump: { ...c.jump, profile: e.target.value } })}
                {...invalidProps('conn-jump-profile', problem('jumpProfile'))}
              >
                {!ready.profiles.some((p) => p.name === c.jump.profile) && (
                  <SelectItem
                    value={c.jump.profile}
                    text={c.jump.profile ? `${c.jump.profile} (not offered here)` : 'Choose a profile'}
                  />
                )}
                {ready.profiles.map((p) => (
                  <SelectItem key={p.name} value={p.name} text={`${p.name} · ${p.vcpu} vCPU, ${p.memoryGib} GiB`} />
                ))}
              </Select>
              <Select
                id="conn-jump-image"
                labelText="Image"
                helperText="A stock Linux image with OpenSSH; the first is the smallest."
                value={c.jump.imageId}
                onChange={(e) => {
                  const image = ready.images.find((i) => i.id === e.target.value);
                  set({ jump: { ...c.jump, imageId: image?.id ?? '', imageName: image?.name ?? '' } });
                }}
                {...invalidProps('conn-jump-image', problem('jumpImage'))}
              >
                {!ready.images.some((i) => i.id === c.jump.imageId) && (
                  <SelectItem
                    value={c.jump.imageId}
                    text={c.jump.imageId ? `${c.jump.imageName || c.jump.imageId} (not in ${ready.region})` : 'Choose an image'}
                  />
                )}
                {ready.images.map((i) => (
                  <SelectItem key={i.id} value={i.id} text={`${i.description} (${i.name})`} />
                ))}
              </Select>
              <SshSourceInput
                value={c.sshCidr}
                explanation={ready.sshSource.explanation}
                message={problem('sshCidr')}
                onChange={(sshCidr) => set({ sshCidr })}
              />
            </Stack>

            <Stack gap={5} as="section" aria-labelledby="conn-vpe-heading">
              <h2 id="conn-vpe-heading" className="onramp-review__heading">
                Private endpoint
              </h2>
              <p className="onramp-step__text">
                The endpoint gateway (VPE) gives the database a private IP address in your subnet. Security-group rules
                let the jump server reach it on TCP 5432, and your address reach the jump server on TCP 22.
              </p>
              <TextInput
                id="conn-vpe-name"
                labelText="Endpoint gateway name"
                helperText="Lowercase letters, digits and hyphens, at most 60 characters."
                autoComplete="off"
                spellCheck={false}
                value={c.vpeName}
                onChange={(e) => set({ vpeName: e.target.value })}
                {...invalidProps('conn-vpe-name', problem('vpeName'))}
              />
              <DerivedNames c={c} />
            </Stack>

            <Stack gap={4} as="section" aria-labelledby="conn-cbr-heading">
              <h2 id="conn-cbr-heading" className="onramp-review__heading">
                Context-based restriction <Tag type="purple" size="sm">Preview</Tag>
              </h2>
              <Checkbox
                id="conn-restrict"
                labelText={`Let only the VPC ${c.vpc.name} reach the database`}
                helperText={`A network zone ${derivedNames(c).cbrZone} holding the VPC, and a rule that limits the database's data plane to it (private endpoints only).`}
                checked={c.restrict ?? false}
                onChange={(_, { checked }) => set({ restrict: checked })}
              />
              <p id="conn-restrict-note" className="onramp-muted">
                IBM&apos;s Gen 2 pages disagree on whether context-based restrictions work for Gen 2 yet (the FAQ says
                not yet; the private-connection page says yes). If IBM refuses the rule, the database and its private
                path still work: Provision shows IBM&apos;s answer at that step and the plan succeeds without it.
              </p>
            </Stack>
          </Stack>
        )}
      </Stack>
    </section>
  );
}

interface VpcAndSubnetProps {
  c: Connectivity;
  options: ConnectivityOptions;
  problem: (field: string) => string | undefined;
  onVpcKind: (kind: string) => void;
  onSubnetKind: (kind: string) => void;
  onVpc: (vpc: VpcChoice) => void;
  onSubnet: (subnet: SubnetChoice) => void;
}

/** Where the jump server and the gateway live: a VPC and one of its subnets, new or chosen. */
function VpcAndSubnet({ c, options, problem, onVpcKind, onSubnetKind, onVpc, onSubnet }: VpcAndSubnetProps) {
  const region = options.region;
  const vpcId = c.vpc.kind === 'Existing' ? c.vpc.id : null;
  const vpc = options.vpcs.find((v) => v.id === vpcId);
  const subnets = vpc?.subnets ?? [];
  const subnet = c.subnet;
  const usable = (n: number) => Math.max(0, n - RESERVED_ADDRESSES);

  return (
    <>
      <Stack gap={5} as="section" aria-labelledby="conn-vpc-heading">
        <h2 id="conn-vpc-heading" className="onramp-review__heading">
          VPC
        </h2>
        <RadioButtonGroup
          legendText="The VPC that holds the jump server and the endpoint gateway"
          name="conn-vpc"
          orientation="vertical"
          valueSelected={c.vpc.kind}
          onChange={(value) => onVpcKind(String(value))}
          helperText={
            options.vpcs.length === 0
              ? `${region} has no VPC yet, so Onramp creates one.`
              : 'Onramp adds two rules to the VPC’s default security group. Teardown deletes what Onramp created and keeps what you chose.'
          }
        >
          <RadioButton id="conn-vpc-new" value="New" labelText="Create a new VPC" />
          <RadioButton
            id="conn-vpc-existing"
            value="Existing"
            disabled={options.vpcs.length === 0}
            labelText={options.vpcs.length === 0 ? `Use a VPC in ${region} (it has none)` : `Use a VPC in ${region}`}
          />
        </RadioButtonGroup>
        {c.vpc.kind === 'New' ? (
          <TextInput
            id="conn-vpc-name"
            labelText="Name of the new VPC"
            helperText="Lowercase letters, digits and hyphens; it starts with a letter."
            autoComplete="off"
            spellCheck={false}
            value={c.vpc.name}
            onChange={(e) => onVpc({ kind: 'New', name: e.target.value })}
            {...invalidProps('conn-vpc-name', problem('vpc'))}
          />
        ) : (
          <Select
            id="conn-vpc-select"
            labelText="VPC"
            value={c.vpc.id}
            onChange={(e) => {
              const chosen = options.vpcs.find((v) => v.id === e.target.value);
              onVpc({ kind: 'Existing', id: chosen?.id ?? '', name: chosen?.name ?? '' });
            }}
            {...invalidProps('conn-vpc-select', problem('vpc'))}
          >
            {!vpc && <SelectItem value={c.vpc.id} text="Choose a VPC" />}
            {options.vpcs.map((v) => (
              <SelectItem
                key={v.id}
                value={v.id}
                text={`${v.name} (${v.subnets.length} ${v.subnets.length === 1 ? 'subnet' : 'subnets'})`}
              />
            ))}
          </Select>
        )}
      </Stack>

      <Stack gap={5} as="section" aria-labelledby="conn-subnet-heading">
        <h2 id="conn-subnet-heading" className="onramp-review__heading">
          Subnet
        </h2>
        <RadioButtonGroup
          legendText="The subnet of the jump server and the gateway’s private IP"
          name="conn-subnet"
          orientation="vertical"
          valueSelected={subnet.kind}
          onChange={(value) => onSubnetKind(String(value))}
          helperText={
            c.vpc.kind === 'New'
              ? 'A new VPC has no subnets yet, so Onramp creates one.'
              : 'The jump server goes in the subnet’s zone; the gateway takes one of its free addresses.'
          }
        >
          <RadioButton id="conn-subnet-new" value="New" labelText="Create a new subnet" />
          <RadioButton
            id="conn-subnet-existing"
            value="Existing"
            disabled={c.vpc.kind === 'New'}
            labelText="Use a subnet of the chosen VPC"
          />
        </RadioButtonGroup>
        {subnet.kind === 'New' ? (
          <>
            <TextInput
              id="conn-subnet-name"
              labelText="Name of the new subnet"
              helperText="Lowercase letters, digits and hyphens; it starts with a letter."
              autoComplete="off"
              spellCheck={false}
              value={subnet.name}
              onChange={(e) => onSubnet({ ...subnet, name: e.target.value })}
              {...invalidProps('conn-subnet-name', problem('subnet'))}
            />
            <Select
              id="conn-subnet-zone"
              labelText="Zone"
              helperText={`The jump server runs in this zone of ${region}.`}
              value={subnet.zone}
              onChange={(e) => onSubnet({ ...subnet, zone: e.target.value })}
              {...invalidProps('conn-subnet-zone', problem('subnetZone'))}
            >
              {!options.zones.includes(subnet.zone) && (
                <SelectItem value={subnet.zone} text={subnet.zone ? `${subnet.zone} (not in ${region})` : 'Choose a zone'} />
              )}
              {options.zones.map((z) => (
                <SelectItem key={z} value={z} text={z} />
              ))}
            </Select>
            <Select
              id="conn-subnet-size"
              labelText="Size"
              helperText={`${usable(subnet.addressCount)} usable of ${subnet.addressCount}: IBM reserves ${RESERVED_ADDRESSES} addresses in every subnet. The jump server and the gateway need one each.`}
              value={String(subnet.addressCount)}
              onChange={(e) => onSubnet({ ...subnet, addressCount: Number(e.target.value) })}
              {...invalidProps('conn-subnet-size', problem('subnetSize'))}
            >
              {!SUBNET_SIZES.includes(subnet.addressCount) && (
                <SelectItem value={String(subnet.addressCount)} text={`${subnet.addressCount} addresses`} />
              )}
              {SUBNET_SIZES.map((n) => (
                <SelectItem key={n} value={String(n)} text={`${n} addresses (${usable(n)} usable)`} />
              ))}
            </Select>
          </>
        ) : (
          <Select
            id="conn-subnet-select"
            labelText="Subnet"
            helperText={subnets.length === 0 ? 'This VPC has no subnet: let Onramp create one.' : 'Teardown keeps a subnet you chose.'}
            value={subnet.id}
            onChange={(e) => {
              const chosen = subnets.find((s) => s.id === e.target.value);
              onSubnet({ kind: 'Existing', id: chosen?.id ?? '', name: chosen?.name ?? '' });
            }}
            {...invalidProps('conn-subnet-select', problem('subnet'))}
          >
            {!subnets.some((s) => s.id === subnet.id) && (
              <SelectItem value={subnet.id} text={subnets.length === 0 ? 'This VPC has no subnet' : 'Choose a subnet'} />
            )}
            {subnets.map((s) => (
              <SelectItem key={s.id} value={s.id} text={`${s.name} · ${s.zone} · ${s.cidr} · ${s.available} free`} />
            ))}
          </Select>
        )}
      </Stack>
    </>
  );
}

/** Who may SSH to the jump server: a CIDR, with a warning (not a problem) for the whole internet. */
function SshSourceInput({
  value,
  explanation,
  message,
  onChange,
}: {
  value: string;
  explanation: string;
  message: string | undefined;
  onChange: (value: string) => void;
}) {
  const openToAll = value.trim() === '0.0.0.0/0';
  const warn = openToAll && !message;
  return (
    <TextInput
      id="conn-ssh-cidr"
      labelText="Who may SSH to the jump server"
      helperText={explanation}
      autoComplete="off"
      spellCheck={false}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      warn={warn}
      warnText={warn ? OPEN_TO_ALL_WARNING : undefined}
      {...invalidProps('conn-ssh-cidr', message)}
      // Carbon describes the field by its helper text, which the warning replaces.
      {...(warn ? { 'aria-describedby': 'conn-ssh-cidr-warn-msg' } : {})}
    />
  );
}

/** The names Onramp gives what the user does not name. */
function DerivedNames({ c }: { c: Connectivity }) {
  const names = derivedNames(c);
  return (
    <div>
      <h3 id="conn-derived-title" className="onramp-step__subheading">
        Onramp also creates
      </h3>
      <dl id="conn-derived-names" className="onramp-facts" aria-labelledby="conn-derived-title">
        <div className="onramp-facts__row">
          <dt>Floating IP of the jump server</dt>
          <dd>{names.floatingIp}</dd>
        </div>
        <div className="onramp-facts__row">
          <dt>Rule: SSH (TCP 22) from your address</dt>
          <dd>{names.sshRule}</dd>
        </div>
        <div className="onramp-facts__row">
          <dt>Rule: PostgreSQL (TCP 5432) from the jump server</dt>
          <dd>{names.postgresRule}</dd>
        </div>
        <div className="onramp-facts__row">
          <dt>Reserved IP of the gateway</dt>
          <dd>{names.vpeIp}</dd>
        </div>
      </dl>
    </div>
  );
}
