// What went wrong while starting is shown at the top, once, with what to do.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { FakeBackend } from './test/fakeBackend';
import { expectNoAxeViolations, renderWizard } from './test/wizard';

describe('start-up problems', () => {
  it('shows what went wrong while starting, and journals it cannot read, until closed', async () => {
    const backend = new FakeBackend();
    backend.startup = [
      {
        message: 'Onramp cannot write its log to /home/ada/.local/share/onramp/logs (Permission denied).',
        hint: 'It logs to the terminal instead. Check that folder’s permissions and free space.',
      },
    ];
    backend.damaged = [
      {
        path: '/home/ada/.local/share/onramp/journals/3f2a.jsonl',
        problem: 'journal … is damaged: line 2: expected value',
        hint: 'Keep the file for support; look for the plan’s resources in the IBM Cloud console.',
      },
    ];
    const { user, view } = await renderWizard(backend);
    const notices = await screen.findByText(/cannot write its log/);
    const area = notices.closest('#startup-notices') as HTMLElement;
    expect(within(area).getByText(/A plan’s journal cannot be read|A plan's journal cannot be read/)).toBeTruthy();
    expect(within(area).getByText(/IBM Cloud console/)).toBeTruthy();
    await expectNoAxeViolations(view.container);
    await user.click(within(area).getAllByRole('button', { name: /close/i })[0]);
    await waitFor(() => expect(screen.queryByText(/cannot write its log/)).toBeNull());
    expect(screen.getByText(/journal cannot be read/)).toBeTruthy();
  });
});
