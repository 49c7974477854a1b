// The fake's exports of a plan: a small text of its own, made from the plan and this world's
// journal (a header naming the plan, a line per resource, and after apply an `import {}` block
// per resource the plan made), and saving it to the fake disk. It is not what Onramp's
// generator writes: tests read it only to see that the window shows, copies and saves what
// the back end answered.
import {
  type AppError,
  type DraftPlan,
  type ExportFormat,
  type PlanExport,
  type PlannedResource,
} from '../../backend';
import { rule } from '../rules';
import { clone } from '../world';
import { expand, FakeConnect } from './connect';
import { fail } from './plan';

/** The fake's file name: the plan's name with anything but letters, digits, - and _ as -. */
const stem = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+$/, '') || 'onramp-plan';

export abstract class FakeExport extends FakeConnect {
  /** The files exports were saved to (full paths), and what each holds. */
  savedExports = new Map<string, string>();
  /** The next export (or save) fails with this, once. */
  exportFailure: AppError | null = null;

  async exportPlan(plan: DraftPlan, format: ExportFormat): Promise<PlanExport> {
    this.record('exportPlan', plan, format);
    return this.exported(plan, format);
  }

  async saveExport(plan: DraftPlan, format: ExportFormat, path: string): Promise<string> {
    this.record('saveExport', plan, format, path);
    const file = expand(path);
    if (!file.startsWith('/') || file.endsWith('/')) {
      fail({ code: 'InvalidInput', message: 'Give the full path of a file, for example ~/pg-demo.tf.', field: 'exportFile' });
    }
    this.savedExports.set(file, (await this.exported(plan, format)).text);
    return file;
  }

  protected async exported(plan: DraftPlan, format: ExportFormat): Promise<PlanExport> {
    this.signedIn();
    const failure = this.exportFailure;
    this.exportFailure = null;
    if (failure) fail(clone(failure));
    const job = this.jobs.get(plan.id);
    // Once applied, the journal's plan is the one exported, whatever the window sends.
    const source = job?.plan ?? plan;
    const what = { cli: 'ibmcloud CLI', curl: 'curl', terraform: 'Terraform' }[format];
    const lines = [`# ${what} for the Onramp plan "${source.name}" (plan id ${source.id}), from the UI tests' fake back end.`];
    let imports = 0;
    if (job) {
      for (const s of job.progress.steps) {
        lines.push(`# ${s.label}: ${s.name}`);
        const made = s.status === 'Ready' && s.resourceId !== null && !this.chosen(job, s.step);
        if (format === 'terraform' && made) {
          imports += 1;
          lines.push('import {', `  id = "${s.resourceId}"`, '}');
        }
      }
    } else {
      const planned = await rule<PlannedResource[]>('plannedResources', { plan: source, offerings: this.offerings });
      lines.push(...planned.map((r) => `# ${r.label}: ${r.name}`));
    }
    const script = format !== 'terraform';
    const text = `${script ? '#!/usr/bin/env bash\n' : ''}${lines.join('\n')}\n`;
    const fileName = `${stem(source.name)}${{ cli: '.sh', curl: '-curl.sh', terraform: '.tf' }[format]}`;
    return { format, fileName, text, applied: Boolean(job), imports };
  }
}
