// The plan the steps share, carried to another account: what it keeps and what it asks again.
import { describe, expect, it } from 'vitest';

import type { DraftPlan, Offerings } from './backend';
import { inAccount } from './usePlan';

const offerings = {
  locations: [],
  resourceGroups: [
    { id: 'g-other', name: 'team', isDefault: false },
    { id: 'g-default', name: 'Default', isDefault: true },
  ],
} as Offerings;

const plan = { id: 'p', name: 'pg', resourceGroupId: 'g-other' } as DraftPlan;

describe('a plan carried to another account', () => {
  it('keeps a resource group the account has', () => {
    expect(inAccount(plan, offerings)).toBe(plan);
  });

  it('takes the account’s default group instead of one it does not have', () => {
    expect(inAccount({ ...plan, resourceGroupId: 'from-the-sandbox' }, offerings).resourceGroupId).toBe('g-default');
  });

  it('leaves the plan alone when the key sees no groups (the rule then says why)', () => {
    const none = { ...offerings, resourceGroups: [] };
    expect(inAccount({ ...plan, resourceGroupId: 'x' }, none).resourceGroupId).toBe('x');
  });
});
