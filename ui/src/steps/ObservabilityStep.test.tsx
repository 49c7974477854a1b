// Observability: off, an existing Monitoring instance in the region, or a new one with its
// price; the account-wide change shown whole and confirmed before Apply; Apply adds the
// metrics steps to the plan; the keyboard alone and axe.
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';

import type { DraftPlan } from '../backend';
import { FakeBackend } from '../test/fakeBackend';
import { expectNoAxeViolations, lastSent, openStep, provisioned, renderWizard } from '../test/wizard';

async function observability(backend = new FakeBackend()) {
  const plan = await provisioned(backend);
  const rendered = await renderWizard(backend);
  await screen.findByRole('heading', { level: 1, name: 'Done' });
  await openStep(rendered.user, 'observability', 'Observability');
  await screen.findByLabelText('Off: Onramp sets up no monitoring');
  return { ...rendered, plan };
}

const applyButton = () => document.getElementById('obs-apply') as HTMLButtonElement;

describe('Observability', () => {
  it('offers off, the instances in the region and a new one with its price', async () => {
    const { user } = await observability();
    expect((screen.getByLabelText('Off: Onramp sets up no monitoring') as HTMLInputElement).checked).toBe(true);
    expect(applyButton().disabled).toBe(true);
    await user.click(screen.getByLabelText(/Use an existing instance in ca-mon/));
    const select = (await screen.findByLabelText('Monitoring instance')) as HTMLSelectElement;
    expect(select.selectedOptions[0].textContent).toMatch(/team-monitoring \(graduated-tier\), the region’s platform-metrics receiver/);
    await user.click(screen.getByLabelText('Create a new instance with this plan'));
    expect(await screen.findByText(/USD 0.08 per 1000 time series hours/)).toBeTruthy();
    expect(screen.getByText(/Billed by use/)).toBeTruthy();
  });

  it('shows the account-wide change whole, and applies only once it is confirmed', async () => {
    const { user, backend, plan } = await observability();
    await user.click(screen.getByLabelText('Create a new instance with this plan'));
    const change = await screen.findByRole('table', { name: /Metrics Routing account settings, before and after/ });
    const changed = [...change.querySelectorAll('[data-changed="true"]')].map((r) => r.textContent);
    expect(changed).toEqual([expect.stringMatching(/Primary metadata region\(not set\)ca-mon/)]);
    expect(change.querySelectorAll('[data-changed="false"]').length).toBe(4);
    expect(applyButton().disabled).toBe(true);
    expect(screen.getByText('Confirm the account-wide changes above first.')).toBeTruthy();

    await user.click(screen.getByLabelText(/I confirm this change to Metrics Routing/));
    await waitFor(() => expect(applyButton().disabled).toBe(false));
    await user.click(applyButton());
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    const applied = lastSent(backend, 'applyPlan')?.args[0] as DraftPlan;
    expect(applied.id).toBe(plan.id);
    expect(applied.observability).toEqual({
      monitoring: { kind: 'Create', plan: 'graduated-tier' },
      confirmedMetadataRegion: 'ca-mon',
      activity: { kind: 'Off' },
      confirmedActivityRegion: null,
      platformLogs: false,
      confirmedLogsRegion: null,
    });
    // The plan's new steps join the ones already made.
    for (const step of ['monitoring-instance', 'metrics-authorization', 'metrics-settings', 'metrics-target', 'metrics-route']) {
      expect(document.querySelector(`[data-step="${step}"]`), step).toBeTruthy();
    }
    act(() => void backend.finish(plan.id));
    await openStep(user, 'observability', 'Observability');
    expect(await screen.findByText('Metrics are routed')).toBeTruthy();
  });

  it('changes nothing account-wide where the account has a metadata region', async () => {
    const backend = new FakeBackend();
    backend.metricsSettings.primary_metadata_region = 'us-south';
    const { user } = await observability(backend);
    await user.click(screen.getByLabelText('Create a new instance with this plan'));
    await waitFor(() => expect(applyButton().disabled).toBe(false));
    expect(document.getElementById('obs-account-change-metrics-router')).toBeNull();
  });

  it('routes activity events to Cloud Logs once the account-wide route is confirmed', async () => {
    const { user, backend, plan } = await observability();
    await user.click(screen.getByLabelText(/Use an existing Cloud Logs instance in ca-mon/));
    expect(((await screen.findByLabelText('Cloud Logs instance')) as HTMLSelectElement).value).toMatch(/:logs:ca-mon:/);
    await user.click(screen.getByLabelText('Create a new Cloud Logs instance'));
    expect(await screen.findByText(/Store and search \(GB ingested\): USD 0.48 per gigabytes/)).toBeTruthy();
    // A route covers locations, not one database: that is said, and confirmed.
    const change = await screen.findByRole('table', { name: /Activity Tracker Event Routing account settings/ });
    const changed = [...change.querySelectorAll('[data-changed="true"]')].map((r) => r.textContent);
    expect(changed).toEqual([
      expect.stringMatching(/^Routes0 routesadds 'onramp-.*-activity': every event in ca-mon and every global event/),
      expect.stringMatching(/^Metadata region\(not set\)ca-mon$/),
    ]);
    expect(screen.getByText(/every service in ca-mon/)).toBeTruthy();
    expect(applyButton().disabled).toBe(true);
    await user.click(screen.getByLabelText(/I confirm this change to Activity Tracker Event Routing/));
    await waitFor(() => expect(applyButton().disabled).toBe(false));
    await user.click(applyButton());
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    const applied = lastSent(backend, 'applyPlan')?.args[0] as DraftPlan;
    expect(applied.observability?.activity).toEqual({ kind: 'Create' });
    expect(applied.observability?.confirmedActivityRegion).toBe('ca-mon');
    for (const step of ['logs-instance', 'activity-authorization', 'activity-target', 'activity-route']) {
      expect(document.querySelector(`[data-step="${step}"]`), step).toBeTruthy();
    }
    expect(document.querySelector('[data-step="metrics-route"]')).toBeNull();
    act(() => void backend.finish(plan.id));
    await openStep(user, 'observability', 'Observability');
    expect(await screen.findByText('Events are routed')).toBeTruthy();
  });

  it('sends platform logs to the same Cloud Logs instance once the move to Logs Routing v3 is confirmed', async () => {
    const { user, backend } = await observability();
    const platformLogs = screen.getByLabelText(/Also send platform logs/) as HTMLInputElement;
    expect(platformLogs.disabled).toBe(true);
    await user.click(screen.getByLabelText('Create a new Cloud Logs instance'));
    await waitFor(() => expect(platformLogs.disabled).toBe(false));
    await user.click(platformLogs);
    const change = await screen.findByRole('table', { name: /Logs Routing account settings/ });
    const changed = [...change.querySelectorAll('[data-changed="true"]')].map((r) => r.textContent);
    expect(changed).toEqual([
      expect.stringMatching(/^Routes0 routesadds 'onramp-.*-logs': every platform log in ca-mon/),
      'API version1 (v1 tenants)3',
      expect.stringMatching(/^Primary metadata region\(not set\)ca-mon$/),
    ]);
    expect(screen.getByText(/cannot be undone/)).toBeTruthy();
    await user.click(screen.getByLabelText(/I confirm this change to Activity Tracker Event Routing/));
    await user.click(screen.getByLabelText(/I confirm this change to Logs Routing/));
    await waitFor(() => expect(applyButton().disabled).toBe(false));
    await user.click(applyButton());
    await screen.findByRole('heading', { level: 1, name: 'Provision' });
    const applied = lastSent(backend, 'applyPlan')?.args[0] as DraftPlan;
    expect(applied.observability?.platformLogs).toBe(true);
    expect(applied.observability?.confirmedLogsRegion).toBe('ca-mon');
    for (const step of ['logs-settings', 'logs-router-authorization', 'logs-target', 'logs-route']) {
      expect(document.querySelector(`[data-step="${step}"]`), step).toBeTruthy();
    }
  });

  it('works with the keyboard alone and has no axe violations', async () => {
    const { user, view } = await observability();
    const off = screen.getByLabelText('Off: Onramp sets up no monitoring');
    off.focus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect((screen.getByLabelText('Create a new instance with this plan') as HTMLInputElement).checked).toBe(true);
    await screen.findByRole('table', { name: /before and after/ });
    await expectNoAxeViolations(view.container);
  });
});
