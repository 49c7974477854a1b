// The fake's provisioning: a job per plan that moves one step per `push` (so a test says
// when time passes), cancel, resume and retry, and teardown with its preview from Rust.
import {
  type AppError,
  type DraftPlan,
  type PlanProgress,
  type PlanListing,
  type PlanSummary,
  type ProgressListener,
  type StepError,
  type Place,
  type StepId,
  type StepProgress,
  type TeardownItem,
} from '../../backend';
import { rule } from '../rules';
import {
  clone,
  fakePricing,
  type FakeDatabase,
} from '../world';
import { fail, FakePlan, problemAt } from './plan';

/** How long the fake says each step takes, and how many pushes a step stays Working. */
const ESTIMATE_MS: Partial<Record<StepId, number>> = { authorization: 5_000, instance: 60_000, 'manager-key': 10_000 };
const PATH_ESTIMATE_MS = 15_000;
const TICKS: Partial<Record<StepId, number>> = { instance: 2 };
const TICK_MS = 20_000;

export interface Job {
  plan: DraftPlan;
  progress: PlanProgress;
  listeners: ProgressListener[];
  /** Pushes each Working step has had. */
  ticks: Partial<Record<StepId, number>>;
  /** The authorization existed before Onramp: teardown keeps it. */
  adopted: boolean;
  /** The steps Rust calls optional (the restriction): their failure does not fail the plan. */
  optional: StepId[];
}

export abstract class FakeProvision extends FakePlan {
  /** Each provisioned database's credentials, roles and passwords (the Users step makes them). */
  databases = new Map<string, FakeDatabase>();

  protected applied(planId: string) {
    return this.jobs.has(planId);
  }

  /** The next time these steps run, they fail with this error. */
  failures: Partial<Record<StepId, StepError>> = {};
  jobs = new Map<string, Job>();
  protected lastJob: string | null = null;


  async applyPlan(plan: DraftPlan, onProgress: ProgressListener) {
    this.record('applyPlan', plan);
    const account = this.signedIn();
    const existing = this.jobs.get(plan.id);
    if (existing && existing.progress.activity !== 'Idle') {
      existing.listeners.push(onProgress);
      return clone(existing.progress);
    }
    problemAt(await rule<AppError | null>('refuseApply', { problems: (await this.review(plan)).problems }));
    const planned = await rule<{ step: StepId; label: string; name: string; optional: boolean; place: Place }[]>('steps', {
      plan,
    });
    const estimate = (step: StepId) => ESTIMATE_MS[step] ?? PATH_ESTIMATE_MS;
    const waiting = ({ step, label, name, place }: (typeof planned)[number]): StepProgress => ({
      step,
      label,
      name,
      status: 'Waiting',
      resourceId: null,
      detail: null,
      error: null,
      elapsedMs: 0,
      estimateMs: estimate(step),
      next: null,
      place,
    });
    if (existing) {
      // The plan amended where nothing was made (Observability after the first apply): its
      // new steps join the journal's, and the job resumes.
      existing.listeners.push(onProgress);
      existing.plan = clone(plan);
      const known = new Set(existing.progress.steps.map((s) => s.step));
      existing.progress.steps.push(...planned.filter((p) => !known.has(p.step)).map(waiting));
      return this.resumePlan(plan.id, false, onProgress);
    }
    const steps: StepProgress[] = planned.map(waiting);
    const progress: PlanProgress = {
      planId: plan.id,
      planName: plan.name,
      mode: this.mode,
      accountId: account.accountId,
      activity: 'Applying',
      outcome: null,
      steps,
      elapsedMs: 0,
      estimateMs: steps.reduce((sum, s) => sum + s.estimateMs, 0),
      startedAt: new Date().toISOString(),
    };
    const optional = planned.filter((s) => s.optional).map((s) => s.step);
    const job: Job = { plan: clone(plan), progress, listeners: [onProgress], ticks: {}, adopted: false, optional };
    this.jobs.set(plan.id, job);
    this.lastJob = plan.id;
    this.startNext(job);
    return this.publish(job);
  }

  /** Puts a plan in the "journal", as if an earlier run of the app had left it so. */
  seedPlan(progress: PlanProgress, plan?: DraftPlan) {
    const base = plan ?? { ...(this.draft as DraftPlan), id: progress.planId, name: progress.planName };
    const job: Job = { plan: clone(base), progress: clone(progress), listeners: [], ticks: {}, adopted: false, optional: [] };
    this.jobs.set(progress.planId, job);
    this.lastJob = progress.planId;
  }

  /** Moves the job one step on (the latest unless `planId` says which) and tells its listeners. */
  push(planId?: string): PlanProgress {
    const job = this.jobs.get(planId ?? this.lastJob ?? '');
    if (!job) throw new Error('no job to push');
    job.progress.elapsedMs += TICK_MS;
    if (job.progress.activity === 'Applying') this.applyTick(job);
    else if (job.progress.activity === 'TearingDown') this.teardownTick(job);
    return this.publish(job);
  }

  /** Pushes until the job is idle. */
  finish(planId?: string): PlanProgress {
    let progress = this.push(planId);
    for (let i = 0; i < 20 && progress.activity !== 'Idle'; i += 1) progress = this.push(planId);
    return progress;
  }

  protected publish(job: Job): PlanProgress {
    for (const listener of job.listeners) listener(clone(job.progress));
    return clone(job.progress);
  }

  protected startNext(job: Job) {
    const next = job.progress.steps.find((s) => s.status === 'Waiting');
    if (!next) {
      job.progress.activity = 'Idle';
      job.progress.outcome = 'Succeeded';
      return;
    }
    Object.assign(next, { status: 'Working', next: null });
    next.detail = next.step === 'instance' ? 'provisioning: Creating the database' : `Creating ${next.name}`;
    job.ticks[next.step] = 0;
  }

  protected applyTick(job: Job) {
    const working = job.progress.steps.find((s) => s.status === 'Working');
    if (!working) return this.startNext(job);
    working.elapsedMs += TICK_MS;
    const ticks = (job.ticks[working.step] ?? 0) + 1;
    job.ticks[working.step] = ticks;
    const failure = this.failures[working.step];
    if (failure) {
      delete this.failures[working.step];
      Object.assign(working, { status: 'Failed', error: clone(failure) });
      working.detail = working.step === 'instance' ? 'failed: The create request was refused' : null;
      if (job.optional.includes(working.step)) {
        working.next =
          "The database and its private path work without it: IBM's Gen 2 docs disagree on whether context-based restrictions apply. Retry later, or leave it; teardown removes what was made.";
        for (const later of job.progress.steps.filter((s) => s.status === 'Waiting' && job.optional.includes(s.step))) {
          later.status = 'Blocked';
        }
        return this.startNext(job);
      }
      working.next = failure.field
        ? `Fix the ${failure.field} field in the plan and apply again, or tear down what was created.`
        : 'Retry when the cause is fixed, or tear down what was created.';
      for (const later of job.progress.steps.filter((s) => s.status === 'Waiting')) {
        Object.assign(later, { status: 'Blocked', next: 'Waits for the step it depends on; retry that one.' });
      }
      Object.assign(job.progress, { activity: 'Idle', outcome: 'Failed' });
      return;
    }
    if (ticks < (TICKS[working.step] ?? 1)) {
      working.detail = 'provisioning: Provisioning members (50%)';
      return;
    }
    working.status = 'Ready';
    working.detail = working.step === 'instance' ? 'active: Provisioned' : null;
    working.resourceId =
      working.step === 'instance'
        ? `crn:v1:bluemix:public:databases-for-postgresql:${job.plan.location}:a/${job.progress.accountId}:${job.plan.id}::`
        : `${working.step}-${job.plan.id.slice(-4)}`;
    if (this.chosen(job, working.step)) working.detail = 'Uses the existing one';
    this.startNext(job);
  }

  /** What this fake's world had before the plan: the user's chosen VPC, subnet and key, an authorization. */
  protected chosen(job: Job, step: StepId): boolean {
    const c = job.plan.connectivity;
    const existing: Partial<Record<StepId, boolean>> = {
      authorization: job.adopted,
      vpc: c?.vpc.kind === 'Existing',
      subnet: c?.subnet.kind === 'Existing',
      'ssh-key': c?.sshKey.kind === 'Existing',
    };
    return existing[step] ?? false;
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
      fail({
        code: 'Conflict',
        message: 'This plan is being torn down; it cannot be applied again.',
        hint: 'Finish the teardown, then start a new plan.',
      });
    }
    for (const s of p.steps) {
      const again = s.status === 'Paused' || (retryFailed && (s.status === 'Failed' || s.status === 'Blocked'));
      if (again) Object.assign(s, { status: 'Waiting', error: null, next: null, detail: null });
    }
    Object.assign(p, { activity: 'Applying', outcome: null });
    this.lastJob = planId;
    this.startNext(job);
    // Without retrying, a failed step stays failed: the job ends where it was.
    if (p.steps.some((s) => s.status === 'Failed' && !job.optional.includes(s.step))) {
      Object.assign(p, { activity: 'Idle', outcome: 'Failed' });
    }
    return this.publish(job);
  }

  async cancelPlan(planId: string) {
    this.record('cancelPlan', planId);
    const job = this.jobs.get(planId);
    if (!job || job.progress.activity === 'Idle') fail({ code: 'NotFound', message: 'Nothing is running for this plan.' });
    const p = (job as Job).progress;
    for (const s of p.steps.filter((x) => x.status === 'Working')) {
      Object.assign(s, { status: 'Paused', next: 'Resume to carry on where it stopped.' });
    }
    Object.assign(p, { activity: 'Idle', outcome: 'Cancelled' });
    this.publish(job as Job);
  }

  /** The plan's journal as the rules read it: its steps and what the Users step made. */
  protected journal(planId: string) {
    const job = this.job(planId);
    const phase: Partial<Record<StepProgress['status'], string>> = {
      Working: 'Creating',
      Paused: 'Creating',
      Ready: 'Ready',
      Kept: 'Ready',
      Failed: 'Failed',
      Deleting: 'Deleting',
      Deleted: 'Deleted',
      DeleteFailed: 'DeleteFailed',
    };
    const steps = job.progress.steps.map((s) => ({
      step: s.step,
      phase: phase[s.status] ?? 'NotStarted',
      id: s.resourceId,
      name: s.name,
      owner: s.resourceId === null ? null : this.chosen(job, s.step) ? 'kept' : 'made',
      started: s.status !== 'Waiting' && s.status !== 'Blocked',
      // The generated login key's private half is kept in the keychain under the plan.
      keychainEntry: s.step === 'ssh-key' && s.resourceId && !this.chosen(job, s.step) ? `ssh-key:${planId}` : null,
    }));
    const db = this.databases.get(planId);
    const credentials = (db?.credentials ?? []).filter((c) => !c.plansOwn && c.password !== null);
    const extras = [
      ...credentials.map((c) => ({ kind: 'credential', name: c.name, phase: 'Created', id: c.guid, keychainEntry: `credential:${c.guid}` })),
      ...[...(db?.passwords.keys() ?? [])].map((r) => ({ kind: 'sql-user', name: r, phase: 'Created', id: null, keychainEntry: `sql-user:${planId}:${r}` })),
    ];
    return { mode: this.mode, plan: job.plan, steps, extras };
  }

  async teardownPreview(planId: string): Promise<TeardownItem[]> {
    this.record('teardownPreview', planId);
    return rule<TeardownItem[]>('teardownPreview', this.journal(planId));
  }

  async plansOverview(): Promise<PlanListing[]> {
    this.record('plansOverview');
    this.signedIn();
    const applied = [...this.jobs.values()].filter((j) => j.progress.outcome !== 'TornDown').reverse();
    // When it started says nothing about where it stands, and would make every input new.
    const progress = applied.map((j) => ({ ...j.progress, startedAt: '' }));
    const input = { applied: progress, current: this.draft, shelved: this.shelf };
    const list = await rule<PlanListing[]>('plansOverview', input);
    for (const item of list) {
      const plan = [this.draft, ...this.shelf].find((d) => d?.id === item.planId) ?? this.jobs.get(item.planId)?.plan;
      if (!plan) continue;
      const sandbox = this.mode === 'Sandbox';
      const cost = await rule<PlanSummary['cost']>('costEstimate', { plan, pricing: fakePricing(plan.location), sandbox });
      item.monthly = cost?.monthlyKnown ?? null;
      item.currency = cost?.currency ?? null;
    }
    return list;
  }

  async openPlan(planId: string): Promise<DraftPlan> {
    this.record('openPlan', planId);
    if (this.draft?.id === planId) return clone(this.draft);
    const shelved = this.shelf.find((d) => d.id === planId);
    const plan = shelved ?? this.jobs.get(planId)?.plan;
    if (!plan) fail({ code: 'NotFound', message: 'Onramp has no plan with this id.' });
    this.shelve();
    this.shelf = this.shelf.filter((d) => d.id !== planId);
    this.draft = clone(plan as DraftPlan);
    return clone(this.draft);
  }

  async discardDraft(planId: string): Promise<void> {
    this.record('discardDraft', planId);
    if (this.jobs.has(planId)) fail({ code: 'Conflict', message: 'This plan was applied: tear it down in Provision instead.' });
    this.shelf = this.shelf.filter((d) => d.id !== planId);
  }

  async planSummary(planId: string): Promise<PlanSummary> {
    this.record('planSummary', planId);
    this.signedIn();
    const journal = this.journal(planId);
    const summary = await rule<PlanSummary>('doneSummary', { ...journal, keychainService: 'cloud.onramp.desktop.test' });
    const pricing = fakePricing(journal.plan.location);
    summary.cost = await rule<PlanSummary['cost']>('costEstimate', { plan: journal.plan, pricing, sandbox: this.mode === 'Sandbox' });
    summary.progress = clone(this.job(planId).progress);
    return summary;
  }

  async teardownPlan(planId: string, onProgress: ProgressListener) {
    this.record('teardownPlan', planId);
    this.signedIn();
    const job = this.job(planId);
    if (job.progress.activity === 'Applying') {
      fail({ code: 'Conflict', message: 'This plan is still being applied.', hint: 'Cancel it first, then tear it down.' });
    }
    if (!job.listeners.includes(onProgress)) job.listeners.push(onProgress);
    Object.assign(job.progress, { activity: 'TearingDown', outcome: null });
    this.lastJob = planId;
    this.teardownTick(job);
    return this.publish(job);
  }

  protected teardownTick(job: Job) {
    const p = job.progress;
    const deleting = p.steps.find((s) => s.status === 'Deleting');
    if (deleting) Object.assign(deleting, { status: 'Deleted', detail: null });
    for (const next of [...p.steps].reverse()) {
      if (!['Ready', 'Failed', 'Paused', 'DeleteFailed'].includes(next.status)) continue;
      // What existed before Onramp is passed over, and the next one deleted.
      if (this.chosen(job, next.step)) {
        next.status = 'Kept';
        continue;
      }
      Object.assign(next, { status: 'Deleting', error: null, next: null, detail: `Deleting ${next.name}` });
      return;
    }
    Object.assign(p, { activity: 'Idle', outcome: 'TornDown' });
  }

  protected job(planId: string): Job {
    const job = this.jobs.get(planId);
    if (!job) fail({ code: 'NotFound', message: 'Onramp has no record of this plan being applied.' });
    return job as Job;
  }
}
