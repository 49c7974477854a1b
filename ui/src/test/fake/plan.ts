// The fake's first layer: the account (mode, "keychain", a known-good key) and the plan (the
// catalog, the draft, the review with the rules' answers, the private path's options).
import {
  BackendError,
  type AccountStatus,
  type AppError,
  type ConnectivityOptions,
  type DamagedJournal,
  type AccountChange,
  type DraftPlan,
  type Mode,
  type MonitoringPlanOffer,
  type ObservabilityOptions,
  type PlannedResource,
  type Problem,
  type Review,
  type StartupProblem,
} from '../../backend';
import { rule } from '../rules';
import {
  clone,
  cloudAccount,
  FAKE_ENCRYPTION,
  FAKE_OFFERINGS,
  FAKE_PROFILES,
  fakeImages,
  fakeLogs,
  fakeMonitoring,
  FRESH_TRACKER_SETTINGS,
  FRESH_LOGS_SETTINGS,
  FAKE_LOGS_PRICING,
  fakePricing,
  FAKE_MONITORING_PRICING,
  FRESH_METRICS_SETTINGS,
  fakeRegion,
  GOOD_KEY,
  sandboxAccount,
  type FakeRegion,
} from '../world';

/** Refuses as the back end refuses: the window gets this error. */
export const fail = (error: AppError): never => {
  throw new BackendError(error);
};
/** Refuses with a rule's problem, if it found one. */
export const problemAt = (problem: AppError | null) => problem && fail(problem);

export abstract class FakePlan {
  /** Whether the plan was applied (its name is then its own, not a conflict). */
  protected abstract applied(planId: string): boolean;

  mode: Mode = 'Sandbox';
  storedKey: string | null = null;
  calls: string[] = [];
  /** Every argument the account calls received, to prove what crossed the boundary. */
  received: unknown[] = [];
  /** The plan commands' arguments, in order. */
  sent: { call: string; args: unknown[] }[] = [];
  listeners: ((status: AccountStatus) => void)[] = [];
  offerings = clone(FAKE_OFFERINGS);
  encryption = clone(FAKE_ENCRYPTION);
  /** The saved draft (`draft.json`). */
  draft: DraftPlan | null = null;
  /** The drafts of the plans not being edited (`drafts/<id>.json`), newest first. */
  shelf: DraftPlan[] = [];
  /** Names already used in the account, which only Review (the cloud) can tell. */
  takenNames = new Set(['pg-taken']);
  /** Each region's VPCs, subnets, zones and SSH keys; tests change them. */
  regions: Record<string, FakeRegion> = Object.fromEntries(FAKE_OFFERINGS.locations.map((l) => [l.id, fakeRegion(l.id)]));
  /** Metrics Routing's account settings, as its API answers them; tests change them. */
  metricsSettings: Record<string, unknown> = clone(FRESH_METRICS_SETTINGS);
  /** Activity Tracker's account settings and routes, as its API answers them. */
  trackerSettings: Record<string, unknown> = clone(FRESH_TRACKER_SETTINGS);
  trackerRoutes: unknown[] = [];
  /** Logs Routing's account settings and routes, as its API answers them. */
  logsSettings: Record<string, unknown> = clone(FRESH_LOGS_SETTINGS);
  logsRoutes: unknown[] = [];
  /** What `startupProblems` and `damagedJournals` answer. */
  startup: StartupProblem[] = [];
  damaged: DamagedJournal[] = [];
  protected planCount = 0;


  protected status(): AccountStatus {
    const account = this.mode === 'Sandbox' ? sandboxAccount : this.storedKey ? cloudAccount : null;
    return { mode: this.mode, account, problem: null, endpointsOverride: null, build: 'Test' };
  }

  protected answer(): AccountStatus {
    const status = this.status();
    this.listeners.forEach((l) => l(status));
    return status;
  }

  protected record(call: string, ...args: unknown[]) {
    this.calls.push(call);
    this.sent.push({ call, args: clone(args.filter((a) => typeof a !== 'function')) });
  }

  protected signedIn() {
    const account = this.status().account;
    if (!account) {
      fail({ code: 'SignedOut', message: 'Onramp is not signed in to IBM Cloud.', hint: 'Go back to the Account step and connect.' });
    }
    return account as NonNullable<typeof account>;
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
    // The key's form is the back end's rule; whether IAM knows it is this fake's world.
    problemAt(await rule<AppError | null>('checkApiKey', { key: apiKey }));
    if (apiKey.trim() !== GOOD_KEY) {
      fail({
        code: 'InvalidApiKey',
        message: 'Provided API key could not be found.',
        field: 'apiKey',
        hint: 'Check that you copied the whole key.',
        requestId: 'req-1',
      });
    }
    this.storedKey = apiKey.trim();
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

  async startupProblems(): Promise<StartupProblem[]> {
    this.record('startupProblems');
    return clone(this.startup);
  }

  async damagedJournals(): Promise<DamagedJournal[]> {
    this.record('damagedJournals');
    return clone(this.damaged);
  }


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
    const id = `00000000-0000-4000-8000-${String(this.planCount).padStart(12, '0')}`;
    // The plan edited until now is kept, to be opened again from the list.
    this.shelve();
    const connectivity = await rule<DraftPlan['connectivity']>('suggestedConnectivity', { location: first?.id ?? '', planId: id });
    return {
      id,
      name: '',
      location: first?.id ?? '',
      resourceGroupId: group?.id ?? '',
      members: 2,
      hostFlavor: smallest?.id ?? '',
      storageGb: 10,
      version: first?.versions[0] ?? '',
      encryption: { kind: 'ProviderManaged' },
      connectivity,
    };
  }

  protected problems(plan: DraftPlan) {
    return rule<Problem[]>('validatePlan', { plan, offerings: this.offerings });
  }

  async validatePlan(plan: DraftPlan) {
    this.record('validatePlan', plan);
    this.signedIn();
    return this.problems(plan);
  }

  /** Puts the current draft on the shelf. */
  protected shelve() {
    if (this.draft) this.shelf = [clone(this.draft), ...this.shelf.filter((d) => d.id !== this.draft?.id)];
    this.draft = null;
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

  protected async review(plan: DraftPlan): Promise<Review> {
    const problems = await this.problems(plan);
    // The cloud's part: a name the account already uses (only for a plan not yet applied).
    if (!this.applied(plan.id) && !problems.some((p) => p.field === 'name') && this.takenNames.has(plan.name)) {
      problems.push(await rule<Problem>('nameTaken', { plan }));
    }
    const sandbox = this.mode === 'Sandbox';
    return {
      problems,
      resources: await rule<PlannedResource[]>('plannedResources', { plan, offerings: this.offerings }),
      cost: await rule<Review['cost']>('costEstimate', { plan, pricing: fakePricing(plan.location), sandbox }),
      diagram: await rule<Review['diagram']>('diagram', { plan }),
    };
  }

  async connectivityOptions(location: string, planId: string): Promise<ConnectivityOptions> {
    this.record('connectivityOptions', location);
    this.signedIn();
    const region = this.regions[location];
    if (!region) {
      fail({
        code: 'CloudRejected',
        message: `The VPC API has no region '${location}'.`,
        hint: 'Choose a location of Databases for PostgreSQL Gen 2 in Basics.',
      });
    }
    const { vpcs, zones, keys } = region;
    const images = fakeImages(location);
    const sandbox = this.mode === 'Sandbox';
    const input = { location, planId, sandbox, zones, vpcs, keys, images, profiles: FAKE_PROFILES };
    return rule<ConnectivityOptions>('connectivityOptions', input);
  }

  async observabilityOptions(location: string): Promise<ObservabilityOptions> {
    this.record('observabilityOptions', location);
    this.signedIn();
    return {
      monitoringInstances: fakeMonitoring(location),
      monitoringPlans: await rule<MonitoringPlanOffer[]>('monitoringPlans', {
        lite: null,
        graduated: FAKE_MONITORING_PRICING,
      }),
      logsInstances: fakeLogs(location),
      logsPrices: await rule<string[]>('priceLines', { pricing: FAKE_LOGS_PRICING }),
    };
  }

  async accountChanges(plan: DraftPlan): Promise<AccountChange[]> {
    this.record('accountChanges', plan);
    this.signedIn();
    return rule<AccountChange[]>('accountChanges', {
      plan,
      settings: this.metricsSettings,
      tracker: this.trackerSettings,
      routes: this.trackerRoutes,
      logs: this.logsSettings,
      logsRoutes: this.logsRoutes,
    });
  }
}
