// Which fields a change to the plan touches, and which step each field belongs to.
import { describe, expect, it } from 'vitest';

import { fieldsOfPatch, stepOfField } from './plan';
import { connectivity, draft } from './test/wizard';

describe('which fields a change touches', () => {
  const before = draft({ connectivity: connectivity() });

  it('names only the private path’s fields that changed', () => {
    const path = connectivity();
    expect(fieldsOfPatch({ connectivity: { ...path, vpc: { kind: 'New', name: 'team-vpc' } } }, before)).toEqual([
      'connectivity.vpc',
    ]);
    const subnet = { kind: 'New' as const, name: 'onramp-subnet-0000', zone: 'ca-mon-2', addressCount: 32 };
    expect(fieldsOfPatch({ connectivity: { ...path, subnet } }, before)).toEqual([
      'connectivity.subnetZone',
      'connectivity.subnetSize',
    ]);
    expect(fieldsOfPatch({ connectivity: { ...path, jump: { ...path.jump, imageId: '' } } }, before)).toEqual([
      'connectivity.jumpImage',
    ]);
  });

  it('touches nothing on opting in, and everything said about the path on opting out', () => {
    expect(fieldsOfPatch({ connectivity: connectivity() }, draft())).toEqual([]);
    const out = fieldsOfPatch({ connectivity: null }, before);
    expect(out).toContain('connectivity.sshCidr');
    expect(out.every((f) => stepOfField(f) === 'connectivity')).toBe(true);
  });

  it('routes any connectivity field to the Connectivity step', () => {
    expect(stepOfField('connectivity.vpeName')).toBe('connectivity');
    expect(stepOfField('connectivity.somethingNew')).toBe('connectivity');
    expect(stepOfField('encryption.key')).toBe('encryption');
    expect(stepOfField('connect.query')).toBeNull();
  });
});
