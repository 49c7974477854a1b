// The plan as CLI, curl and Terraform, in Review and Done: each tab asks for its export only when
// first shown (with a loading line, and an error with Retry), shows the back end's text in a
// focusable block, copies it, and saves it where the user says (a bad path at the field);
// after apply, Terraform's says how many resources it imports; the keyboard reaches it all;
// and axe finds nothing.
import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';

import type { DraftPlan, ExportFormat, PlanExport } from '../backend';
import { FakeBackend } from '../test/fakeBackend';
import { draft, expectNoAxeViolations, fieldError, lastSent, openStep, provisioned, renderWizard } from '../test/wizard';

const text = (id: string) => document.getElementById(id)?.textContent ?? null;
const exportCalls = (backend: FakeBackend) =>
  backend.sent.filter((s) => s.call === 'exportPlan').map((s) => s.args[1] as ExportFormat);

/** Opens Review on a saved draft, and waits for the CLI tab's text. */
async function review(backend = new FakeBackend()) {
  const plan = draft();
  backend.draft = plan;
  const rendered = await renderWizard(backend);
  await openStep(rendered.user, 'review', 'Review');
  await waitFor(() => expect(document.getElementById('export-cli-text')).toBeTruthy());
  return { ...rendered, plan };
}

/** Opens Done on a finished plan, and waits for the CLI tab's text. */
async function done(backend = new FakeBackend()) {
  const plan = await provisioned(backend);
  const rendered = await renderWizard(backend);
  await screen.findByRole('heading', { level: 1, name: 'Done' });
  await waitFor(() => expect(document.getElementById('export-cli-text')).toBeTruthy());
  return { ...rendered, plan };
}

/** A back end whose exports wait until `release()`, to see the window while one loads. */
class SlowExports extends FakeBackend {
  private waiting: (() => void)[] = [];
  release() {
    this.waiting.splice(0).forEach((go) => go());
  }
  protected async exported(plan: DraftPlan, format: ExportFormat): Promise<PlanExport> {
    if (format === 'terraform') await new Promise<void>((go) => this.waiting.push(go));
    return super.exported(plan, format);
  }
}

describe('the exports in Review', () => {
  it('sit between the cost and Apply, and show the CLI script the back end wrote', async () => {
    const { backend, plan } = await review();
    const section = screen.getByRole('region', { name: 'The plan as CLI, curl and Terraform' });
    const cost = screen.getByRole('table', { name: 'Estimated cost' });
    const apply = document.getElementById('apply-button') as HTMLElement;
    expect(cost.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(section.compareDocumentPosition(apply) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    // The text shown is exactly what the back end answered for this plan.
    const cli = await new FakeBackend().exportPlan(plan, 'cli');
    expect(text('export-cli-text')).toBe(cli.text);
    expect(cli.text).toMatch(/^#!\/usr\/bin\/env bash\n.*"pg-demo"/);
    expect(text('export-cli-label')).toBe('pg-demo.sh');
    expect(text('export-cli-about')).toBe(
      'A bash script of ibmcloud commands, in the order Onramp runs them. It reads your API key from the IBMCLOUD_API_KEY environment variable.',
    );
    expect(lastSent(backend, 'exportPlan')?.args).toEqual([plan, 'cli']);
    const shown = screen.getByRole('region', { name: 'The ibmcloud CLI script, pg-demo.sh' });
    expect(shown.id).toBe('export-cli-text');
    expect(shown.getAttribute('tabindex')).toBe('0');
  });

  it('asks for Terraform only when its tab is chosen, says it is loading, and keeps each tab once read', async () => {
    const backend = new SlowExports();
    const { user, plan } = await review(backend);
    expect(exportCalls(backend)).toEqual(['cli']);
    expect(document.getElementById('export-terraform-text')).toBeNull();

    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    expect(await screen.findByText('Writing the Terraform configuration…')).toBeTruthy();
    expect(exportCalls(backend)).toEqual(['cli', 'terraform']);
    backend.release();
    await waitFor(() => expect(document.getElementById('export-terraform-text')).toBeTruthy());
    expect(screen.queryByText('Writing the Terraform configuration…')).toBeNull();
    const terraform = await new FakeBackend().exportPlan(plan, 'terraform');
    expect(text('export-terraform-text')).toBe(terraform.text);
    expect(text('export-terraform-about')).toBe(
      'A Terraform configuration for the IBM Cloud provider 2.5.0. It creates what this plan creates.',
    );
    expect(text('export-terraform-text')).not.toContain('import {');
    expect((document.getElementById('export-terraform-file') as HTMLInputElement).value).toBe('~/pg-demo.tf');

    // Back and forth: what was read is kept, nothing is asked again.
    await user.click(screen.getByRole('tab', { name: 'ibmcloud CLI' }));
    await waitFor(() => expect(screen.getByRole('region', { name: /ibmcloud CLI script/ })).toBeTruthy());
    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    expect(screen.getByRole('region', { name: /Terraform configuration/ })).toBeTruthy();
    expect(exportCalls(backend)).toEqual(['cli', 'terraform']);
  });

  it('copies the text shown to the clipboard, and says so', async () => {
    const { user } = await review();
    expect(text('export-cli-copied')).toBe('');
    await user.click(screen.getByRole('button', { name: 'Copy the ibmcloud CLI script' }));
    expect(await navigator.clipboard.readText()).toBe(text('export-cli-text'));
    await waitFor(() => expect(text('export-cli-copied')).toBe('Copied.'));
    expect(document.getElementById('export-cli-copied')?.getAttribute('aria-live')).toBe('polite');
  });

  it('saves to the file proposed, and says where', async () => {
    const { user, backend, plan } = await review();
    const field = document.getElementById('export-cli-file') as HTMLInputElement;
    expect(field.value).toBe('~/pg-demo.sh');
    expect(screen.getByLabelText('Save to file')).toBe(field);
    await user.click(screen.getByRole('button', { name: 'Save the ibmcloud CLI script to this file' }));
    await waitFor(() => expect(text('export-cli-saved')).toBe('Saved to /home/ada/pg-demo.sh.'));
    expect(document.getElementById('export-cli-saved')?.getAttribute('aria-live')).toBe('polite');
    expect(lastSent(backend, 'saveExport')?.args).toEqual([plan, 'cli', '~/pg-demo.sh']);
    expect(backend.savedExports.get('/home/ada/pg-demo.sh')).toBe(text('export-cli-text'));
    expect(field.getAttribute('aria-invalid')).not.toBe('true');
  });

  it('shows a path the back end refuses at the field, and clears it as the path is typed again', async () => {
    const { user, backend } = await review();
    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    const field = (await waitFor(() => document.getElementById('export-terraform-file'))) as HTMLInputElement;
    await user.clear(field);
    await user.type(field, 'pg-demo.tf');
    await user.click(screen.getByRole('button', { name: 'Save the Terraform configuration to this file' }));
    await waitFor(() => expect(fieldError('export-terraform-file')).toBe('Give the full path of a file, for example ~/pg-demo.tf.'));
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toBe('export-terraform-file-error-msg');
    expect(text('export-terraform-saved')).toBe('');
    expect(backend.savedExports.size).toBe(0);

    await user.clear(field);
    await user.type(field, '/tmp/pg-demo.tf');
    expect(fieldError('export-terraform-file')).toBeNull();
    expect(field.getAttribute('aria-invalid')).not.toBe('true');
    await user.click(screen.getByRole('button', { name: 'Save the Terraform configuration to this file' }));
    await waitFor(() => expect(text('export-terraform-saved')).toBe('Saved to /tmp/pg-demo.tf.'));
    expect(backend.savedExports.get('/tmp/pg-demo.tf')).toBe(text('export-terraform-text'));
  });

  it('says why an export failed, and tries again on Retry', async () => {
    const backend = new FakeBackend();
    backend.exportFailure = { code: 'Network', message: 'IBM Cloud did not answer.', hint: 'Check your connection, then retry.' };
    backend.draft = draft();
    const { user } = await renderWizard(backend);
    await openStep(user, 'review', 'Review');
    const error = await waitFor(() => document.getElementById('export-cli-error') as HTMLElement);
    expect(error.textContent).toContain('Onramp could not write the ibmcloud CLI script: IBM Cloud did not answer.');
    expect(error.textContent).toContain('Check your connection, then retry.');
    expect(document.getElementById('export-cli-text')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(document.getElementById('export-cli-text')).toBeTruthy());
    expect(document.getElementById('export-cli-error')).toBeNull();
    expect(exportCalls(backend)).toEqual(['cli', 'cli']);
  });

  it('works with the keyboard alone: arrows between the tabs, Tab to the text, the field and Save', async () => {
    const { user, backend } = await review();
    screen.getByRole('tab', { name: 'ibmcloud CLI' }).focus();
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'curl' }).getAttribute('aria-selected')).toBe('true');
    await waitFor(() => expect(document.getElementById('export-curl-text')).toBeTruthy());
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'Terraform' }).getAttribute('aria-selected')).toBe('true');
    await waitFor(() => expect(document.getElementById('export-terraform-text')).toBeTruthy());
    expect(exportCalls(backend)).toEqual(['cli', 'curl', 'terraform']);
    const reached: string[] = [];
    for (let i = 0; i < 6 && !reached.includes('export-terraform-save'); i += 1) {
      await user.tab();
      reached.push(document.activeElement?.id ?? '');
    }
    // The text block is reached (so the arrow keys scroll it), then the file and Save.
    expect(reached).toEqual(['export-terraform-copy', 'export-terraform-text', 'export-terraform-file', 'export-terraform-save']);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(text('export-terraform-saved')).toBe('Saved to /home/ada/pg-demo.tf.'));
  });

  it('has no axe violations, with a file error shown', async () => {
    const { user, view } = await review();
    await expectNoAxeViolations(view.container);
    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    const field = (await waitFor(() => document.getElementById('export-terraform-file'))) as HTMLInputElement;
    await user.clear(field);
    await user.type(field, 'relative.tf');
    await user.click(screen.getByRole('button', { name: 'Save the Terraform configuration to this file' }));
    await waitFor(() => expect(fieldError('export-terraform-file')).toBeTruthy());
    await expectNoAxeViolations(view.container);
  });
});

describe('the exports in Done', () => {
  it('give Terraform that imports what the plan made, and says how many', async () => {
    const { user, backend, plan } = await done();
    expect(screen.getByRole('heading', { level: 3, name: 'The plan as CLI, curl and Terraform' })).toBeTruthy();
    expect(text('export-cli-about')).toMatch(/This plan was applied: running the script makes a second set of resources\.$/);
    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    await waitFor(() => expect(document.getElementById('export-terraform-text')).toBeTruthy());
    const shown = text('export-terraform-text') as string;
    const imports = shown.split('import {').length - 1;
    expect(imports).toBeGreaterThan(1);
    // What the plan made, as the journal has it: one import each.
    const made = backend.jobs.get(plan.id)?.progress.steps.filter((s) => s.status === 'Ready' && s.detail !== 'Uses the existing one');
    expect(imports).toBe(made?.length);
    expect(text('export-terraform-about')).toBe(
      `A Terraform configuration for the IBM Cloud provider 2.5.0. It imports the ${imports} resources this plan made, so Terraform takes them over without changes.`,
    );
    expect(lastSent(backend, 'exportPlan')?.args).toEqual([plan, 'terraform']);
  });

  it('saves the applied plan’s Terraform, and has no axe violations', async () => {
    const { user, backend, view } = await done();
    await user.click(screen.getByRole('tab', { name: 'Terraform' }));
    await waitFor(() => expect(document.getElementById('export-terraform-text')).toBeTruthy());
    await user.click(screen.getByRole('button', { name: 'Save the Terraform configuration to this file' }));
    await waitFor(() => expect(text('export-terraform-saved')).toBe('Saved to /home/ada/pg-demo.tf.'));
    expect(backend.savedExports.get('/home/ada/pg-demo.tf')).toContain('import {');
    await expectNoAxeViolations(view.container);
  });

  it('asks nothing for a finished plan that is not the one edited, and says how to export it', async () => {
    const backend = new FakeBackend();
    await provisioned(backend);
    // A new plan was started after it: the draft is that one's.
    backend.draft = await backend.newPlan();
    await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    expect(await screen.findByText('To export this plan as ibmcloud CLI, curl or Terraform, open it from Plans first.')).toBeTruthy();
    expect(screen.queryByRole('tab', { name: 'Terraform' })).toBeNull();
    expect(backend.calls).not.toContain('exportPlan');
  });
});
