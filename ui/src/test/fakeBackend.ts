// A fake of the back end's interface for UI tests: it keeps a mode, a "keychain" and a
// known-good key, a draft, a catalog and a tiny provisioning engine that moves only when
// the test says so (`push`), and answers with the same shapes, rules and messages as the
// real commands (the rules are a port of `onboarding::plan::validate`).
import {
  BackendError,
  type Account,
  type AccountStatus,
  type Backend,
  type DraftPlan,
  type EncryptionOptions,
  type LocationOffer,
  type Mode,
  type Offerings,
  type PlannedResource,
  type PlanProgress,
  type Problem,
  type ProgressListener,
  type Review,
  type StepError,
  type StepId,
  type StepProgress,
  type TeardownItem,
} from '../backend';

export const GOOD_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdef';

const sandboxAccount: Account = {
  mode: 'Sandbox',
  accountId: '0123456789abcdef0123456789abcdef',
  user: 'Sandbox User',
  email: 'newcomer@sandbox.onramp.invalid',
  iamId: 'IBMid-SANDBOX',
  iamEndpoint: 'http://127.0.0.1:4000/iam',
  keyStored: false,
};

const cloudAccount: Account = {
  mode: 'IbmCloud',
  accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  user: 'Ada Lovelace',
  email: 'ada@example.com',
  iamId: 'IBMid-6900012ABC',
  iamEndpoint: 'https://iam.cloud.ibm.com/',
  keyStored: true,
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const flavor = (id: string, cpu: number, memoryGb: number) => ({ id, cpu, memoryGb });
const ALL_FLAVORS = [
  flavor('bx3d.4x20', 4, 20),
  flavor('bx3d.8x40', 8, 40),
  flavor('mx3d.8x80', 8, 80),
  flavor('bx3d.16x80', 16, 80),
  flavor('bx3d.32x160', 32, 160),
  flavor('bx3d.48x240', 48, 240),
];

function location(id: string, label: string, extra: Partial<LocationOffer> = {}): LocationOffer {
  return {
    id,
    label,
    deploymentId: `databases-for-postgresql-standard-gen2-${id}`,
    flavors: ALL_FLAVORS,
    flavorsSource: 'Catalog',
    versions: ['18'],
    versionsSource: 'Catalog',
    members: [2, 3],
    storageMinGb: 10,
    storageMaxGb: 9600,
    ...extra,
  };
}

/** ca-mon has the whole catalog; in-che only the documented small flavors; us-east one version. */
export const FAKE_OFFERINGS: Offerings = {
  locations: [
    location('ca-mon', 'Montréal (ca-mon)', { versions: ['18', '17'] }),
    location('in-che', 'Chennai (in-che)', {
      flavors: ALL_FLAVORS.filter((f) => ['bx3d.4x20', 'bx3d.8x40', 'bx3d.16x80'].includes(f.id)),
      flavorsSource: 'Documented',
      versionsSource: 'Documented',
    }),
    location('us-east', 'Washington DC (us-east)'),
  ],
  resourceGroups: [
    { id: 'rg-default', name: 'Default', isDefault: true },
    { id: 'rg-team', name: 'team-databases', isDefault: false },
  ],
};

/** Illustrative prices per member-month; bx3d.48x240 has none, and in-che no pricing at all. */
const FLAVOR_PRICES: Record<string, Record<string, number>> = {
  'ca-mon': { 'bx3d.4x20': 237, 'bx3d.8x40': 474, 'mx3d.8x80': 620, 'bx3d.16x80': 948, 'bx3d.32x160': 1896 },
  'us-east': { 'bx3d.4x20': 230, 'bx3d.8x40': 460, 'mx3d.8x80': 600, 'bx3d.16x80': 920, 'bx3d.32x160': 1840 },
};
const DISK_PRICE: Record<string, number> = { 'ca-mon': 0.25, 'us-east': 0.24 };

export const KEY_CRN = 'crn:v1:bluemix:public:kms:ca-mon:a/0123456789abcdef0123456789abcdef:kp-guid-1:key:key-1';

export const FAKE_ENCRYPTION: EncryptionOptions = {
  instances: [
    {
      guid: 'kp-guid-1',
      name: 'onramp-keys',
      region: 'ca-mon',
      rootKeys: [{ id: 'key-1', name: 'pg-root-key', crn: KEY_CRN }],
      problem: null,
    },
    {
      guid: 'kp-guid-2',
      name: 'legacy-keys',
      region: 'us-east',
      rootKeys: [],
      problem: 'Key Protect answered 403: you are not authorized to list keys of this instance.',
    },
  ],
  authorization: 'Missing',
};

/** A port of `plan::check_name`. */
function checkName(name: string): string | null {
  if (!name.trim()) return 'Give the database a name, for example pg-demo.';
  const length = [...name].length;
  if (length > 180) return `The name is ${length} characters long; IBM Cloud allows at most 180.`;
  const bad = [...name].find((c) => !/^[\p{Alphabetic}\p{N} \-._:]$/u.test(c));
  if (bad !== undefined) {
    const what = bad === '\t' || bad === '\n' || bad === '\r' ? 'a tab or line break' : `'${bad}'`;
    return `The name can't contain ${what}. Use letters, digits, spaces and - . _ :`;
  }
  if (name.startsWith(' ') || name.endsWith(' ')) return 'Remove the space at the start or end of the name.';
  return null;
}

/** A port of `plan::validate`: every problem, in the order of the fields. */
export function validate(plan: DraftPlan, offerings: Offerings): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const name = checkName(plan.name);
  if (name) add('name', name);

  const loc = offerings.locations.find((l) => l.id === plan.location);
  if (!plan.location) add('location', 'Choose a location.');
  else if (!loc) {
    add(
      'location',
      `Databases for PostgreSQL Gen 2 is not offered in '${plan.location}'. Choose one of: ${offerings.locations
        .map((l) => l.id)
        .join(', ')}.`,
    );
  }

  if (!plan.resourceGroupId) add('resourceGroupId', 'Choose a resource group.');
  else if (!offerings.resourceGroups.some((g) => g.id === plan.resourceGroupId)) {
    add(
      'resourceGroupId',
      'This resource group is not in the account (or your key cannot see it). Choose one from the list.',
    );
  }

  if (plan.members !== 2 && plan.members !== 3) {
    add(
      'members',
      `Members must be 2 or 3 (you chose ${plan.members}): 2 spreads the database over two zones, 3 over three.`,
    );
  }

  if (!plan.hostFlavor) add('hostFlavor', 'Choose a host flavor.');
  else if (loc && !loc.flavors.some((f) => f.id === plan.hostFlavor)) {
    add(
      'hostFlavor',
      `${plan.hostFlavor} is not offered in ${loc.id}. Offered there: ${loc.flavors.map((f) => f.id).join(', ')}.`,
    );
  }

  const [min, max] = loc ? [loc.storageMinGb, loc.storageMaxGb] : [10, 9600];
  if (plan.storageGb < min || plan.storageGb > max) {
    add(
      'storageGb',
      `Storage per member must be a whole number of GB from ${min} to ${max} (you entered ${plan.storageGb}).`,
    );
  }

  if (!plan.version) add('version', 'Choose a PostgreSQL version.');
  else if (loc && !loc.versions.includes(plan.version)) {
    add('version', `PostgreSQL ${plan.version} is not offered in ${loc.id}. Offered: ${loc.versions.join(', ')}.`);
  }

  if (plan.encryption.kind === 'KeyProtect') {
    const choice = plan.encryption;
    if (!choice.keyCrn) add('encryption.key', 'Choose a Key Protect root key, or use the provider-managed key.');
    else if (choice.authorization === 'Unknown') {
      add(
        'encryption.authorization',
        'Onramp has not yet checked whether Databases for PostgreSQL may use Key Protect keys.',
      );
    } else if (choice.authorization === 'Missing') {
      add(
        'encryption.authorization',
        'Databases for PostgreSQL is not authorized to use your Key Protect keys, so the database could not read its key. Let Onramp create the authorization (Reader and Authorization Delegator), or create it in IAM and check again.',
      );
    }
  }
  return problems;
}

// The fake plans only the database's steps; the private path's steps are not simulated.
type DatabaseStep = 'authorization' | 'instance' | 'manager-key';
const STEP_LABELS: Record<DatabaseStep, string> = {
  authorization: 'Service authorization (PostgreSQL → Key Protect)',
  instance: 'Databases for PostgreSQL (Gen 2)',
  'manager-key': 'Manager service credential',
};
const STEP_ESTIMATES: Record<DatabaseStep, number> = { authorization: 5_000, instance: 60_000, 'manager-key': 10_000 };
/** How many pushes a step stays Working before it is Ready. */
const STEP_TICKS: Record<DatabaseStep, number> = { authorization: 1, instance: 2, 'manager-key': 1 };
const TICK_MS = 20_000;

interface Job {
  plan: DraftPlan;
  progress: PlanProgress;
  listeners: ProgressListener[];
  /** Pushes each Working step has had. */
  ticks: Partial<Record<StepId, number>>;
  /** The authorization existed before Onramp: teardown keeps it. */
  adopted: boolean;
}

export class FakeBackend implements Backend {
  mode: Mode = 'Sandbox';
  storedKey: string | null = null;
  calls: string[] = [];
  /** Every argument the account calls received, to prove what crossed the boundary. */
  received: unknown[] = [];
  /** The plan commands' arguments, in order. */
  sent: { call: string; args: unknown[] }[] = [];
  listeners: ((status: AccountStatus) => void)[] = [];

  offerings: Offerings = clone(FAKE_OFFERINGS);
  encryption: EncryptionOptions = clone(FAKE_ENCRYPTION);
  /** The saved draft (`draft.json`). */
  draft: DraftPlan | null = null;
  /** Names already used in the account, which only Review (the cloud) can tell. */
  takenNames = new Set(['pg-taken']);
  /** The next time these steps run, they fail with this error. */
  failures: Partial<Record<StepId, StepError>> = {};
  jobs = new Map<string, Job>();
  private planCount = 0;
  private lastJob: string | null = null;

  private status(): AccountStatus {
    const account = this.mode === 'Sandbox' ? sandboxAccount : this.storedKey ? cloudAccount : null;
    return { mode: this.mode, account, problem: null, endpointsOverride: null, build: 'Test' };
  }

  private answer(): AccountStatus {
    const status = this.status();
    this.listeners.forEach((l) => l(status));
    return status;
  }

  private record(call: string, ...args: unknown[]) {
    this.calls.push(call);
    this.sent.push({ call, args: clone(args.filter((a) => typeof a !== 'function')) });
  }

  private signedIn(): Account {
    const account = this.status().account;
    if (!account) {
      throw new BackendError({
        code: 'SignedOut',
        message: 'Onramp is not signed in to IBM Cloud.',
        hint: 'Go back to the Account step and connect.',
      });
    }
    return account;
  }

  async accountStatus() {
    this.calls.push('accountStatus');
    return this.answer();
  }

  async useSandbox() {
    this.calls.push('useSandbox');
    this.mode = 'Sandbox';
    return this.answer();
  }

  async useIbmCloud() {
    this.calls.push('useIbmCloud');
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async connectIbmCloud(apiKey: string) {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    const key = apiKey.trim();
    if (!key) throw new BackendError({ code: 'InvalidInput', message: 'Paste an IBM Cloud API key.', field: 'apiKey' });
    if (key !== GOOD_KEY) {
      throw new BackendError({
        code: 'InvalidApiKey',
        message: 'Provided API key could not be found.',
        field: 'apiKey',
        hint: 'Check that you copied the whole key.',
        requestId: 'req-1',
      });
    }
    this.storedKey = key;
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async forgetApiKey() {
    this.calls.push('forgetApiKey');
    this.storedKey = null;
    return this.answer();
  }

  async onAccountChanged(listener: (status: AccountStatus) => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // --- The plan -----------------------------------------------------------------------

  async planOfferings(refresh: boolean) {
    this.record('planOfferings', refresh);
    this.signedIn();
    return clone(this.offerings);
  }

  async newPlan(): Promise<DraftPlan> {
    this.record('newPlan');
    this.signedIn();
    const first = this.offerings.locations[0];
    const group = this.offerings.resourceGroups.find((g) => g.isDefault) ?? this.offerings.resourceGroups[0];
    const smallest = [...(first?.flavors ?? [])].sort((a, b) => a.cpu - b.cpu || a.memoryGb - b.memoryGb)[0];
    this.planCount += 1;
    return {
      id: `00000000-0000-4000-8000-${String(this.planCount).padStart(12, '0')}`,
      name: '',
      location: first?.id ?? '',
      resourceGroupId: group?.id ?? '',
      members: 2,
      hostFlavor: smallest?.id ?? '',
      storageGb: 10,
      version: first?.versions[0] ?? '',
      encryption: { kind: 'ProviderManaged' },
    };
  }

  async validatePlan(plan: DraftPlan) {
    this.record('validatePlan', plan);
    this.signedIn();
    return validate(plan, this.offerings);
  }

  async saveDraft(plan: DraftPlan) {
    this.record('saveDraft', plan);
    this.draft = clone(plan);
  }

  async loadDraft() {
    this.record('loadDraft');
    return this.draft ? clone(this.draft) : null;
  }

  async encryptionOptions() {
    this.record('encryptionOptions');
    this.signedIn();
    return clone(this.encryption);
  }

  async reviewPlan(plan: DraftPlan): Promise<Review> {
    this.record('reviewPlan', plan);
    this.signedIn();
    return this.review(plan);
  }

  private review(plan: DraftPlan): Review {
    const problems = validate(plan, this.offerings);
    const own = this.jobs.has(plan.id);
    if (!own && !problems.some((p) => p.field === 'name') && this.takenNames.has(plan.name)) {
      problems.push({
        field: 'name',
        message: `The account already has a service named '${plan.name}' in this resource group. Choose another name.`,
      });
    }
    return { problems, resources: this.resources(plan), cost: this.cost(plan) };
  }

  /** A port of `review::planned_resources`. */
  private resources(plan: DraftPlan): PlannedResource[] {
    const loc = this.offerings.locations.find((l) => l.id === plan.location);
    const group = this.offerings.resourceGroups.find((g) => g.id === plan.resourceGroupId)?.name ?? plan.resourceGroupId;
    const f = loc?.flavors.find((x) => x.id === plan.hostFlavor);
    const resources: PlannedResource[] = [];
    if (plan.encryption.kind === 'KeyProtect' && plan.encryption.authorization === 'Create') {
      resources.push({
        label: 'Service authorization',
        name: 'databases-for-postgresql → kms',
        settings: [
          { label: 'Source', value: 'Databases for PostgreSQL (all instances in the account)' },
          { label: 'Target', value: 'Key Protect (all instances in the account)' },
          { label: 'Roles', value: 'Reader, Authorization Delegator' },
        ],
      });
    }
    const encryption =
      plan.encryption.kind === 'ProviderManaged'
        ? 'Provider-managed key (LUKS AES-256)'
        : `Key Protect root key '${plan.encryption.keyName}' in '${plan.encryption.instanceName}' (${plan.encryption.region})`;
    resources.push({
      label: 'Databases for PostgreSQL (Gen 2)',
      name: plan.name,
      settings: [
        { label: 'Plan', value: 'standard-gen2' },
        { label: 'Location', value: loc?.label ?? plan.location },
        { label: 'Resource group', value: group },
        { label: 'Members', value: `${plan.members} (high availability across ${plan.members} zones)` },
        { label: 'Host flavor', value: f ? `${f.id} (${f.cpu} vCPU × ${f.memoryGb} GB RAM per member)` : plan.hostFlavor },
        { label: 'Storage', value: `${plan.storageGb} GB per member (can grow later, never shrink)` },
        { label: 'PostgreSQL version', value: `${plan.version} (set only at deployment)` },
        { label: 'Disk encryption', value: encryption },
        { label: 'Endpoints', value: 'Private only (Gen 2)' },
        { label: 'Tags', value: `onramp, onramp-plan:${plan.id}` },
      ],
    });
    resources.push({
      label: 'Service credential',
      name: 'onramp-manager',
      settings: [
        { label: 'Role', value: 'Manager: a PostgreSQL user in ibm_admin and ibm_writer, with CREATEROLE and CREATEDB' },
        { label: 'Password', value: 'Kept in your OS keychain, never on disk' },
      ],
    });
    return resources;
  }

  /** A port of `cost::estimate` over the illustrative prices above. */
  private cost(plan: DraftPlan): Review['cost'] {
    const members = Math.max(plan.members, 0);
    const storage = Math.max(plan.storageGb, 0);
    const flavorPrice = FLAVOR_PRICES[plan.location]?.[plan.hostFlavor] ?? null;
    const diskPrice = DISK_PRICE[plan.location] ?? null;
    const round = (n: number) => Math.round(n * 100) / 100;
    const line = (label: string, unit: number | null, quantity: number, missing: string) => ({
      label,
      unitMonthly: unit,
      quantity,
      monthly: unit === null ? null : round(unit * quantity),
      note: unit === null ? missing : null,
    });
    const lines = [
      line(
        `Host flavor ${plan.hostFlavor} × ${plan.members} members`,
        flavorPrice,
        members,
        'The catalog lists no price for this flavor in this location.',
      ),
      line(
        `Disk ${plan.storageGb} GB × ${plan.members} members`,
        diskPrice,
        storage * members,
        'The catalog lists no disk price for this location.',
      ),
    ];
    const monthly = lines.reduce((sum, l) => sum + (l.monthly ?? 0), 0);
    const notes = [
      'Backup storage beyond the included amount, and data transfer, are billed separately and not in this estimate.',
      'The private path (VPC, jump server, floating IP) is billed by VPC and not in this estimate.',
    ];
    if (!(plan.location in FLAVOR_PRICES)) notes.unshift('The catalog has no pricing for this location.');
    if (this.mode === 'Sandbox') {
      notes.unshift(
        'Sandbox prices are illustrative, for rehearsal; they are not IBM’s prices and nothing is billed.',
      );
    }
    return {
      currency: 'USD',
      lines,
      monthlyKnown: round(monthly),
      hourlyKnown: Math.round((monthly / 730) * 1000) / 1000,
      complete: lines.every((l) => l.monthly !== null),
      notes,
    };
  }

  // --- Provisioning: a job moves one step per `push` ------------------------------------

  async applyPlan(plan: DraftPlan, onProgress: ProgressListener) {
    this.record('applyPlan', plan);
    const account = this.signedIn();
    const existing = this.jobs.get(plan.id);
    if (existing) {
      existing.listeners.push(onProgress);
      return existing.progress.activity === 'Idle' ? this.resumePlan(plan.id, false, onProgress) : clone(existing.progress);
    }
    const problem = this.review(plan).problems[0];
    if (problem) {
      throw new BackendError({
        code: 'InvalidInput',
        message: problem.message,
        field: problem.field,
        hint: 'Fix this in the plan before applying it.',
      });
    }
    const steps: DatabaseStep[] =
      plan.encryption.kind === 'KeyProtect' && plan.encryption.authorization === 'Create'
        ? ['authorization', 'instance', 'manager-key']
        : ['instance', 'manager-key'];
    const progress: PlanProgress = {
      planId: plan.id,
      planName: plan.name,
      mode: this.mode,
      accountId: account.accountId,
      activity: 'Applying',
      outcome: null,
      steps: steps.map((step) => this.waitingStep(plan, step)),
      elapsedMs: 0,
      estimateMs: steps.reduce((sum, s) => sum + STEP_ESTIMATES[s], 0),
      startedAt: new Date().toISOString(),
    };
    const job: Job = { plan: clone(plan), progress, listeners: [onProgress], ticks: {}, adopted: false };
    this.jobs.set(plan.id, job);
    this.lastJob = plan.id;
    this.startNext(job);
    return this.publish(job);
  }

  /** Puts a plan in the "journal", as if an earlier run of the app had left it so. */
  seedPlan(progress: PlanProgress, plan?: DraftPlan) {
    const job: Job = {
      plan: clone(plan ?? { ...(this.draft as DraftPlan), id: progress.planId, name: progress.planName }),
      progress: clone(progress),
      listeners: [],
      ticks: {},
      adopted: false,
    };
    this.jobs.set(progress.planId, job);
    this.lastJob = progress.planId;
  }

  /**
   * Moves the job one step on (the latest one unless `planId` says which) and sends the
   * snapshot to its listeners, as the engine's Channel would. Returns the new progress.
   */
  push(planId?: string): PlanProgress {
    const job = this.jobs.get(planId ?? this.lastJob ?? '');
    if (!job) throw new Error('no job to push');
    const p = job.progress;
    p.elapsedMs += TICK_MS;
    if (p.activity === 'Applying') this.applyTick(job);
    else if (p.activity === 'TearingDown') this.teardownTick(job);
    return this.publish(job);
  }

  /** Pushes until the job is idle. */
  finish(planId?: string): PlanProgress {
    let progress = this.push(planId);
    for (let i = 0; i < 20 && progress.activity !== 'Idle'; i += 1) progress = this.push(planId);
    return progress;
  }

  private waitingStep(plan: DraftPlan, step: DatabaseStep): StepProgress {
    return {
      step,
      label: STEP_LABELS[step],
      name: step === 'instance' ? plan.name : step === 'manager-key' ? 'onramp-manager' : 'databases-for-postgresql → kms',
      status: 'Waiting',
      resourceId: null,
      detail: null,
      error: null,
      elapsedMs: 0,
      estimateMs: STEP_ESTIMATES[step],
      next: null,
    };
  }

  private publish(job: Job): PlanProgress {
    for (const listener of job.listeners) listener(clone(job.progress));
    return clone(job.progress);
  }

  private startNext(job: Job) {
    const next = job.progress.steps.find((s) => s.status === 'Waiting');
    if (!next) {
      job.progress.activity = 'Idle';
      job.progress.outcome = 'Succeeded';
      return;
    }
    next.status = 'Working';
    next.next = null;
    next.detail =
      next.step === 'instance' ? 'provisioning: Creating the database' : `Creating ${next.name}`;
    job.ticks[next.step] = 0;
  }

  private applyTick(job: Job) {
    const working = job.progress.steps.find((s) => s.status === 'Working');
    if (!working) return this.startNext(job);
    working.elapsedMs += TICK_MS;
    const ticks = (job.ticks[working.step] ?? 0) + 1;
    job.ticks[working.step] = ticks;
    const failure = this.failures[working.step];
    if (failure) {
      delete this.failures[working.step];
      working.status = 'Failed';
      working.error = clone(failure);
      working.detail = working.step === 'instance' ? 'failed: The create request was refused' : null;
      working.next = failure.field
        ? `Fix the ${failure.field} field in the plan and apply again, or tear down what was created.`
        : 'Retry when the cause is fixed, or tear down what was created.';
      for (const later of job.progress.steps.filter((s) => s.status === 'Waiting')) {
        later.status = 'Blocked';
        later.next = 'Waits for the step it depends on; retry that one.';
      }
      job.progress.activity = 'Idle';
      job.progress.outcome = 'Failed';
      return;
    }
    if (ticks < STEP_TICKS[working.step as DatabaseStep]) {
      working.detail = 'provisioning: Provisioning members (50%)';
      return;
    }
    working.status = 'Ready';
    working.detail = working.step === 'instance' ? 'active: Provisioned' : null;
    working.resourceId =
      working.step === 'instance'
        ? `crn:v1:bluemix:public:databases-for-postgresql:${job.plan.location}:a/${job.progress.accountId}:${job.plan.id}::`
        : `${working.step}-${job.plan.id.slice(-4)}`;
    this.startNext(job);
  }

  async listPlans() {
    this.record('listPlans');
    return [...this.jobs.values()]
      .filter((j) => j.progress.outcome !== 'TornDown')
      .reverse()
      .map((j) => clone(j.progress));
  }

  async watchPlan(planId: string, onProgress: ProgressListener) {
    this.record('watchPlan', planId);
    const job = this.job(planId);
    job.listeners.push(onProgress);
    onProgress(clone(job.progress));
    return clone(job.progress);
  }

  async resumePlan(planId: string, retryFailed: boolean, onProgress: ProgressListener) {
    this.record('resumePlan', planId, retryFailed);
    this.signedIn();
    const job = this.job(planId);
    if (!job.listeners.includes(onProgress)) job.listeners.push(onProgress);
    const p = job.progress;
    if (p.activity !== 'Idle') return clone(p);
    if (p.outcome === 'TeardownIncomplete') {
      throw new BackendError({
        code: 'Conflict',
        message: 'This plan is being torn down; it cannot be applied again.',
        hint: 'Finish the teardown, then start a new plan.',
      });
    }
    for (const s of p.steps) {
      const again = s.status === 'Paused' || (retryFailed && (s.status === 'Failed' || s.status === 'Blocked'));
      if (again) Object.assign(s, { status: 'Waiting', error: null, next: null, detail: null });
    }
    p.activity = 'Applying';
    p.outcome = null;
    this.lastJob = planId;
    this.startNext(job);
    if (p.steps.some((s) => s.status === 'Failed')) {
      // Without retrying, a failed step stays failed: the job ends where it was.
      p.activity = 'Idle';
      p.outcome = 'Failed';
    }
    return this.publish(job);
  }

  async cancelPlan(planId: string) {
    this.record('cancelPlan', planId);
    const job = this.jobs.get(planId);
    if (!job || job.progress.activity === 'Idle') {
      throw new BackendError({ code: 'NotFound', message: 'Nothing is running for this plan.' });
    }
    for (const s of job.progress.steps.filter((x) => x.status === 'Working')) {
      s.status = 'Paused';
      s.next = 'Resume to carry on where it stopped.';
    }
    job.progress.activity = 'Idle';
    job.progress.outcome = 'Cancelled';
    this.publish(job);
  }

  async teardownPreview(planId: string): Promise<TeardownItem[]> {
    this.record('teardownPreview', planId);
    const job = this.job(planId);
    return [...job.progress.steps]
      .reverse()
      .filter((s) => !['Waiting', 'Blocked', 'Deleted'].includes(s.status))
      .map((s) => {
        const kept = job.adopted && s.step === 'authorization';
        const consequence = {
          'manager-key':
            'Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.',
          instance:
            this.mode === 'Sandbox'
              ? 'Deletes the sandbox database and its data. Nothing is billed in the sandbox.'
              : 'Deletes the database, its data and its backups; billing stops. IBM Cloud keeps a deleted instance for 3 days (soft deletion), during which it can be reclaimed from the resource reclamations list; after that it is gone for good.',
          authorization: kept
            ? 'Kept: it existed before Onramp, and other databases may rely on it.'
            : 'Removes the authorization Onramp created. Other databases with Key Protect keys in this account would lose access to their keys, so keep it if you made any.',
        }[s.step as DatabaseStep];
        return { step: s.step, label: s.label, name: s.name, resourceId: s.resourceId, deletes: !kept, consequence };
      });
  }

  async teardownPlan(planId: string, onProgress: ProgressListener) {
    this.record('teardownPlan', planId);
    this.signedIn();
    const job = this.job(planId);
    if (job.progress.activity === 'Applying') {
      throw new BackendError({
        code: 'Conflict',
        message: 'This plan is still being applied.',
        hint: 'Cancel it first, then tear it down.',
      });
    }
    if (!job.listeners.includes(onProgress)) job.listeners.push(onProgress);
    job.progress.activity = 'TearingDown';
    job.progress.outcome = null;
    this.lastJob = planId;
    this.teardownTick(job);
    return this.publish(job);
  }

  private teardownTick(job: Job) {
    const p = job.progress;
    const deleting = p.steps.find((s) => s.status === 'Deleting');
    if (deleting) {
      deleting.status = 'Deleted';
      deleting.detail = null;
    }
    const next = [...p.steps]
      .reverse()
      .find((s) => ['Ready', 'Failed', 'Paused', 'DeleteFailed'].includes(s.status));
    if (next && job.adopted && next.step === 'authorization') next.status = 'Kept';
    else if (next) {
      next.status = 'Deleting';
      next.error = null;
      next.next = null;
      next.detail = `Deleting ${next.name}`;
      return;
    }
    if (!p.steps.some((s) => s.status === 'Deleting')) {
      p.activity = 'Idle';
      p.outcome = 'TornDown';
    }
  }

  private job(planId: string): Job {
    const job = this.jobs.get(planId);
    if (!job) throw new BackendError({ code: 'NotFound', message: 'Onramp has no record of this plan being applied.' });
    return job;
  }
}

/** A back end whose keychain is locked: connecting fails after IAM accepted the key. */
export class LockedKeychainBackend extends FakeBackend {
  async connectIbmCloud(apiKey: string): Promise<AccountStatus> {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    throw new BackendError({
      code: 'KeychainUnavailable',
      message: 'Onramp could not reach your system keychain, so it cannot keep the API key safely (no Secret Service).',
      hint: 'Unlock your keyring and try again. Nothing was saved.',
    });
  }
}
