// The picture of the plan: Review draws every resource planned, with an arrow for each step
// it waits for; Provision colours it live and in words; Done shows what was made; a box leads
// to its row; the picture is one image with a text alternative, and axe finds nothing.
import { describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';

import { FakeBackend } from './test/fakeBackend';
import { connectivity, draft, expectNoAxeViolations, openStep, provisioned, renderWizard } from './test/wizard';

const boxes = (id: string) => [...document.querySelectorAll(`#${id} [data-diagram-step]`)] as SVGGElement[];
const states = (id: string) => boxes(id).map((b) => b.getAttribute('data-state'));

describe('the picture of the plan', () => {
  it('draws every resource Review lists, planned, with an arrow for each step it waits for', async () => {
    const backend = new FakeBackend();
    backend.draft = draft({ connectivity: connectivity() });
    const { user, view } = await renderWizard(backend);
    await openStep(user, 'review', 'Review');
    await waitFor(() => expect(boxes('review-diagram').length).toBeGreaterThan(0));
    const listed = [...document.querySelectorAll('[data-resource]')].map((t) => t.getAttribute('data-step'));
    expect(boxes('review-diagram').map((b) => b.getAttribute('data-diagram-step'))).toEqual(listed);
    expect(new Set(states('review-diagram'))).toEqual(new Set(['planned']));
    // The endpoint gateway waits for the database and the subnet: two arrows into its box.
    const arrows = [...document.querySelectorAll('#review-diagram path.onramp-diagram__edge')];
    expect(arrows.length).toBeGreaterThanOrEqual(listed.length - 3);
    const image = document.querySelector('#review-diagram svg') as SVGElement;
    expect(image.getAttribute('role')).toBe('img');
    expect(image.getAttribute('aria-label')).toMatch(/^The plan, before anything is made: \d+ resources \(\d+ planned\)/);
    await expectNoAxeViolations(view.container);
  });

  it('follows the plan live in Provision, and leads from a box to its row', async () => {
    const backend = new FakeBackend();
    const plan = draft({ connectivity: connectivity() });
    backend.draft = plan;
    await backend.applyPlan(plan, () => undefined);
    const { user } = await renderWizard(backend);
    await openStep(user, 'provision', 'Provision');
    await waitFor(() => expect(states('provision-diagram')).toContain('creating…'));
    const row = document.querySelector('li[data-step="instance"]') as HTMLElement;
    const scrolled = vi.fn();
    row.scrollIntoView = scrolled;
    await user.click(document.querySelector('#provision-diagram [data-diagram-step="instance"]') as Element);
    expect(scrolled).toHaveBeenCalled();
    act(() => void backend.finish(plan.id));
    await waitFor(() => expect(new Set(states('provision-diagram'))).toEqual(new Set(['ready'])));
  });

  it('shows on Done what the plan made', async () => {
    const backend = new FakeBackend();
    await provisioned(backend);
    await renderWizard(backend);
    await screen.findByRole('heading', { level: 1, name: 'Done' });
    await waitFor(() => expect(boxes('done-diagram').length).toBeGreaterThan(5));
    expect(new Set(states('done-diagram'))).toEqual(new Set(['ready']));
  });
});
