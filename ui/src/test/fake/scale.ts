// The fake's databases after day one: the account's own (Basics' "Use a database I already
// have", chosen by the Rust rule), and the Scale panel's back end: a size's problems are what the Rust rules answer
// (`scaleCheck`, with the same state check in front), the costs are the Rust estimate's, and a
// scale reports Sending, InProgress and Done, then becomes the applied plan's size.
import type {
  CostEstimate,
  DatabaseListing,
  DraftPlan,
  Problem,
  ScalePreview,
  ScaleProgress,
  Size,
} from '../../backend';
import { rule } from '../rules';
import { clone, fakePricing } from '../world';
import { FakeExport } from './export';
import { fail } from './plan';

const sizeOf = (p: { members: number; hostFlavor: string; storageGb: number }): Size => ({
  members: p.members,
  hostFlavor: p.hostFlavor,
  storageGb: p.storageGb,
});

export abstract class FakeScale extends FakeExport {
  /** The next scale fails with this message at the panel (an update the service refused). */
  scaleFailure: string | null = null;
  /** The account's Gen 2 databases Basics lists ("Use a database I already have"). */
  accountDatabases: DatabaseListing[] = [];

  async existingDatabases(): Promise<DatabaseListing[]> {
    this.record('existingDatabases');
    this.signedIn();
    return clone(this.accountDatabases);
  }

  async chooseExistingDatabase(plan: DraftPlan, database: DatabaseListing | null): Promise<DraftPlan> {
    this.record('chooseExistingDatabase', plan, database);
    return rule<DraftPlan>('chooseExisting', { plan, database });
  }

  async scalePreview(planId: string, target: Size): Promise<ScalePreview> {
    this.record('scalePreview', planId, target);
    this.signedIn();
    const plan = this.job(planId).plan;
    const current = sizeOf(plan);
    const problems = await rule<Problem[]>('scaleCheck', { plan, current, target, offerings: this.offerings });
    const cost = (size: Size) =>
      rule<CostEstimate>('costEstimate', {
        plan: { ...plan, ...size },
        pricing: fakePricing(plan.location),
        sandbox: this.mode === 'Sandbox',
      });
    return {
      current,
      target: clone(target),
      problems,
      costBefore: await cost(current),
      costAfter: await cost(target),
      underWay: null,
      note: target.hostFlavor !== current.hostFlavor ? 'A new host flavor may restart the database.' : null,
    };
  }

  async scaleDatabase(planId: string, target: Size | null, onProgress: (p: ScaleProgress) => void): Promise<Size> {
    this.record('scaleDatabase', planId, target);
    const job = this.job(planId);
    if (!target) return sizeOf(job.plan);
    const preview = await this.scalePreview(planId, target);
    const first = preview.problems[0];
    if (first) fail({ code: 'InvalidInput', message: first.message, field: first.field });
    const news = (stage: ScaleProgress['stage'], elapsedMs: number) =>
      onProgress({ target: clone(target), stage, detail: null, elapsedMs, error: null });
    news('Sending', 0);
    await new Promise((r) => setTimeout(r, 5));
    news('InProgress', 1000);
    await new Promise((r) => setTimeout(r, 5));
    if (this.scaleFailure) {
      const message = this.scaleFailure;
      this.scaleFailure = null;
      fail({ code: 'CloudRejected', message });
    }
    Object.assign(job.plan, target);
    news('Done', 2000);
    return clone(target);
  }
}
