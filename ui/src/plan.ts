// What the wizard knows about the draft plan's fields: which step edits each one, what the
// user calls it, and which control to focus to fix it. The rules themselves live in the back
// end (`validatePlan`); this file only routes its problems to the right place.
import type {
  Connectivity,
  DraftPlan,
  KeyProtectChoice,
  LocationOffer,
  Offerings,
  PlanProgress,
  Problem,
} from './backend';

export type PlanStepId = 'basics' | 'sizing' | 'encryption' | 'connectivity' | 'observability';

interface FieldInfo {
  step: PlanStepId;
  label: string;
  /** Controls to focus to fix it, first one present wins. */
  focus: string[];
}

/** Keyed by the back end's field names (`plan::field`). */
export const FIELDS: Record<string, FieldInfo> = {
  name: { step: 'basics', label: 'Service name', focus: ['plan-name', 'basics-existing'] },
  location: { step: 'basics', label: 'Location', focus: ['plan-location'] },
  resourceGroupId: { step: 'basics', label: 'Resource group', focus: ['plan-resource-group'] },
  members: { step: 'sizing', label: 'Members', focus: ['plan-members-2'] },
  hostFlavor: { step: 'sizing', label: 'Host flavor', focus: ['plan-host-flavor'] },
  storageGb: { step: 'sizing', label: 'Storage per member', focus: ['plan-storage'] },
  version: { step: 'sizing', label: 'PostgreSQL version', focus: ['plan-version'] },
  'encryption.key': {
    step: 'encryption',
    label: 'Key Protect root key',
    focus: ['enc-kp-key', 'enc-kp-instance', 'enc-key-protect'],
  },
  'encryption.authorization': {
    step: 'encryption',
    label: 'Service authorization',
    focus: ['enc-create-authorization', 'enc-check-again', 'enc-key-protect'],
  },
  'connectivity.vpc': { step: 'connectivity', label: 'VPC', focus: ['conn-vpc-select', 'conn-vpc-name', 'conn-build'] },
  'connectivity.subnet': {
    step: 'connectivity',
    label: 'Subnet',
    focus: ['conn-subnet-select', 'conn-subnet-name', 'conn-build'],
  },
  'connectivity.subnetZone': { step: 'connectivity', label: 'Subnet zone', focus: ['conn-subnet-zone', 'conn-build'] },
  'connectivity.subnetSize': { step: 'connectivity', label: 'Subnet size', focus: ['conn-subnet-size', 'conn-build'] },
  'connectivity.sshKey': {
    step: 'connectivity',
    label: 'SSH key',
    focus: ['conn-key-select', 'conn-key-name', 'conn-build'],
  },
  'connectivity.jumpName': { step: 'connectivity', label: 'Jump server name', focus: ['conn-jump-name', 'conn-build'] },
  'connectivity.jumpProfile': {
    step: 'connectivity',
    label: 'Jump server profile',
    focus: ['conn-jump-profile', 'conn-build'],
  },
  'connectivity.jumpImage': { step: 'connectivity', label: 'Jump server image', focus: ['conn-jump-image', 'conn-build'] },
  'connectivity.sshCidr': {
    step: 'connectivity',
    label: 'Who may SSH to the jump server',
    focus: ['conn-ssh-cidr', 'conn-build'],
  },
  'connectivity.vpeName': { step: 'connectivity', label: 'Endpoint gateway name', focus: ['conn-vpe-name', 'conn-build'] },
  'connectivity.restrict': { step: 'connectivity', label: 'Context-based restriction', focus: ['conn-restrict', 'conn-build'] },
  'observability.monitoring': {
    step: 'observability',
    label: 'Monitoring',
    focus: ['obs-monitoring-instance', 'obs-monitoring-plan', 'obs-monitoring-off'],
  },
  'observability.accountSettings': {
    step: 'observability',
    label: 'Account-wide settings',
    focus: ['obs-confirm-metrics-router', 'obs-confirm-atracker', 'obs-confirm-logs-router', 'obs-monitoring-off'],
  },
  'observability.activity': {
    step: 'observability',
    label: 'Activity tracking',
    focus: ['obs-activity-instance', 'obs-activity-off'],
  },
  'observability.platformLogs': {
    step: 'observability',
    label: 'Platform logs',
    focus: ['obs-platform-logs'],
  },
};

/** The Connectivity step's fields, as the back end names them. */
const CONNECTIVITY_FIELDS = Object.keys(FIELDS).filter((f) => f.startsWith('connectivity.'));

/** The step that edits `field`; null for a field this UI does not know. */
export function stepOfField(field: string): PlanStepId | null {
  if (FIELDS[field]) return FIELDS[field].step;
  if (field.startsWith('encryption')) return 'encryption';
  return field.startsWith('connectivity') ? 'connectivity' : null;
}

export function fieldLabel(field: string): string {
  return FIELDS[field]?.label ?? field;
}

/**
 * The plan fields a patch changes, as the back end names them. The private path is one
 * object of many fields: only those that differ from `before` count as touched, so editing
 * the VPC's name does not show the jump server's problems too.
 */
export function fieldsOfPatch(patch: Partial<DraftPlan>, before?: DraftPlan | null): string[] {
  return Object.keys(patch).flatMap((key) => {
    if (key === 'encryption') return ['encryption.key', 'encryption.authorization'];
    if (key === 'observability') {
      return [
        'observability.monitoring',
        'observability.activity',
        'observability.platformLogs',
        'observability.accountSettings',
      ];
    }
    if (key === 'connectivity') {
      const old = before?.connectivity;
      const now = patch.connectivity;
      if (old && now) return changedConnectivityFields(old, now);
      // Opting in touches nothing yet; opting out drops whatever was said about the old path.
      return now ? [] : CONNECTIVITY_FIELDS;
    }
    return [key];
  });
}

/** The back end's fields that differ between two private paths. */
function changedConnectivityFields(a: Connectivity, b: Connectivity): string[] {
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const zone = (c: Connectivity) => (c.subnet.kind === 'New' ? c.subnet.zone : null);
  const size = (c: Connectivity) => (c.subnet.kind === 'New' ? c.subnet.addressCount : null);
  const subnetOnly = (c: Connectivity) =>
    c.subnet.kind === 'New' ? { kind: 'New', name: c.subnet.name } : c.subnet;
  const changes: [string, boolean][] = [
    ['connectivity.vpc', !same(a.vpc, b.vpc)],
    ['connectivity.subnet', !same(subnetOnly(a), subnetOnly(b))],
    ['connectivity.subnetZone', zone(a) !== zone(b)],
    ['connectivity.subnetSize', size(a) !== size(b)],
    ['connectivity.sshKey', !same(a.sshKey, b.sshKey)],
    ['connectivity.jumpName', a.jump.name !== b.jump.name],
    ['connectivity.jumpProfile', a.jump.profile !== b.jump.profile],
    ['connectivity.jumpImage', a.jump.imageId !== b.jump.imageId],
    ['connectivity.sshCidr', a.sshCidr !== b.sshCidr],
    ['connectivity.vpeName', a.vpeName !== b.vpeName],
  ];
  return changes.filter(([, changed]) => changed).map(([field]) => field);
}

/** The names Onramp derives from the jump server's for what the user does not name. */
export function derivedNames(c: Connectivity) {
  return {
    floatingIp: `${c.jump.name}-ip`,
    sshRule: `${c.jump.name}-ssh`,
    postgresRule: `${c.jump.name}-postgres`,
    vpeIp: `${c.vpeName}-ip`,
    cbrZone: `${c.vpc.name}-zone`,
  };
}

/** Whether the plan behind this progress built a private path (its last step is the VPE). */
export function hasPrivatePath(progress: PlanProgress): boolean {
  return progress.steps.some((s) => s.step === 'vpe');
}

export function locationOf(offerings: Offerings | null, id: string): LocationOffer | undefined {
  return offerings?.locations.find((l) => l.id === id);
}

/** The service's own default: the flavor with the fewest vCPUs, then the least memory. */
export function smallestFlavor(location: LocationOffer): string | undefined {
  return [...location.flavors].sort((a, b) => a.cpu - b.cpu || a.memoryGb - b.memoryGb)[0]?.id;
}

/**
 * Moving to another location keeps the flavor and version when it offers them, and otherwise
 * takes its defaults (smallest flavor, newest version), so a location change alone never
 * leaves the plan asking for something the location does not have.
 */
export function withLocation(plan: DraftPlan, offerings: Offerings | null, id: string): Partial<DraftPlan> {
  const patch: Partial<DraftPlan> = { location: id };
  const location = locationOf(offerings, id);
  if (!location) return patch;
  if (!location.flavors.some((f) => f.id === plan.hostFlavor)) {
    const smallest = smallestFlavor(location);
    if (smallest) patch.hostFlavor = smallest;
  }
  if (!location.versions.includes(plan.version) && location.versions[0]) patch.version = location.versions[0];
  return patch;
}

/** A Key Protect choice not made yet: the user picks an instance and a root key next. */
export function emptyKeyProtect(): { kind: 'KeyProtect' } & KeyProtectChoice {
  return {
    kind: 'KeyProtect',
    instanceGuid: '',
    instanceName: '',
    region: '',
    keyCrn: '',
    keyName: '',
    authorization: 'Unknown',
  };
}

/** Problems grouped by field, messages joined, for `invalidText`. */
export function messagesByField(problems: Problem[]): Record<string, string> {
  const byField: Record<string, string[]> = {};
  for (const p of problems) (byField[p.field] ??= []).push(p.message);
  return Object.fromEntries(Object.entries(byField).map(([f, m]) => [f, m.join(' ')]));
}

/** `m:ss`, or `h:mm:ss` past an hour. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `$1,234.50`; unit prices keep up to four decimals (disk is cents per GB). */
export function formatMoney(amount: number, currency: string, maxDigits = 2): string {
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: maxDigits,
    }).format(amount);
  } catch {
    // An unknown currency code: show the number with the code rather than fail.
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** A plan still moving (its engine runs). */
export function isRunning(progress: PlanProgress): boolean {
  return progress.activity !== 'Idle';
}
