// Helpers for tests that walk the wizard: render the app on a fake, move between steps, and
// let the fake's engine move on while React hears about it.
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { expect } from 'vitest';

import { App } from '../App';
import type { Connectivity, DraftPlan, PlanProgress } from '../backend';
import { rule } from './rules';
import { FakeBackend, fakeImages } from './fakeBackend';

export type User = ReturnType<typeof userEvent.setup>;

/** Renders the app signed in to the sandbox, with the plan loaded and checked once. */
export async function renderWizard(backend = new FakeBackend()) {
  const user = userEvent.setup();
  const view = render(<App backend={backend} />);
  await screen.findByText('Sandbox account');
  await waitFor(() => expect(backend.calls).toContain('validatePlan'));
  return { backend, user, view };
}

/** A draft as an earlier session left it (a good one unless `change` says otherwise). */
export function draft(change: Partial<DraftPlan> = {}): DraftPlan {
  return {
    // Its default names end in `-0000`, like the first plan the fake makes.
    id: '00000000-0000-4000-8000-00000000d001',
    name: 'pg-demo',
    location: 'ca-mon',
    resourceGroupId: 'rg-default',
    members: 2,
    hostFlavor: 'bx3d.4x20',
    storageGb: 10,
    version: '18',
    encryption: { kind: 'ProviderManaged' },
    ...change,
  };
}

/** The id of the first plan the fake makes; its default names end in `-0000`. */
export const FIRST_PLAN_ID = '00000000-0000-4000-8000-000000000001';

/** A private path in ca-mon with nothing left to fill in (unless `change` says otherwise). */
const SUGGESTED = await rule<Connectivity>('suggestedConnectivity', { location: 'ca-mon', planId: FIRST_PLAN_ID });

export function connectivity(change: Partial<Connectivity> = {}): Connectivity {
  const image = fakeImages('ca-mon')[0];
  const path = structuredClone(SUGGESTED);
  return {
    ...path,
    jump: { ...path.jump, imageId: image.id, imageName: image.name },
    sshCidr: '127.0.0.1/32',
    ...change,
  };
}

/** Applies a plan with a private path to the end, as an earlier session would have left it. */
export async function provisioned(backend: FakeBackend, change: Partial<DraftPlan> = {}): Promise<DraftPlan> {
  const plan = draft({ connectivity: connectivity(), ...change });
  await backend.applyPlan(plan, () => undefined);
  backend.finish(plan.id);
  backend.draft = plan;
  return plan;
}

export function next() {
  return screen.getByRole('button', { name: /^Next/ }) as HTMLButtonElement;
}

export function stepButton(id: string) {
  return document.querySelector(`[data-step-id="${id}"]`) as HTMLButtonElement;
}

/** Clicks the step in the stepper and waits for its title. */
export async function openStep(user: User, id: string, title: string) {
  await waitFor(() => expect(stepButton(id).disabled).toBe(false));
  await user.click(stepButton(id));
  await screen.findByRole('heading', { level: 1, name: title });
}

/** The message Carbon shows under a field, by the field's id. */
export function fieldError(id: string) {
  return document.getElementById(`${id}-error-msg`)?.textContent ?? null;
}

export async function typeName(user: User, name: string) {
  const input = screen.getByLabelText('Service name');
  await user.clear(input);
  if (name) await user.type(input, name);
}

/** Moves the fake's job one step on, as the engine's Channel would. */
export function advance(backend: FakeBackend, planId?: string): PlanProgress {
  let progress: PlanProgress | undefined;
  act(() => {
    progress = backend.push(planId);
  });
  return progress as PlanProgress;
}

export function row(step: string) {
  return document.querySelector(`[data-step="${step}"]`) as HTMLElement;
}

export async function expectNoAxeViolations(container: HTMLElement) {
  const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(found).toEqual([]);
}

/** The arguments of the fake's last plan command (of `call`, when given). */
export function lastSent(backend: FakeBackend, call?: string) {
  const sent = backend.sent.filter((s) => !call || s.call === call);
  return sent[sent.length - 1];
}

/** The plan the back end was last asked to check. */
export function lastChecked(backend: FakeBackend): DraftPlan {
  return lastSent(backend, 'validatePlan')?.args[0] as DraftPlan;
}
