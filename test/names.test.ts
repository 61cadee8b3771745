import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientToken, semanticVersion } from '../lib/names.js';

describe('clientToken', () => {
  it('is the same for the same parts and within Image Builder\'s 36 characters', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), (parts) => {
        expect(clientToken(...parts)).toBe(clientToken(...parts));
        expect(clientToken(...parts).length).toBeLessThanOrEqual(36);
      }),
    );
  });
});

describe('semanticVersion', () => {
  it('is major.minor.patch from the run date and execution, each part within 0..1073741823', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), fc.string({ minLength: 1, maxLength: 80 }), (date, name) => {
        const version = semanticVersion(date.toISOString(), name);
        expect(version).toMatch(/^\d+\.\d+\.\d+$/);
        for (const part of version.split('.').map(Number)) expect(part).toBeLessThanOrEqual(1_073_741_823);
        expect(semanticVersion(date.toISOString(), name)).toBe(version);
      }),
    );
  });

  it('differs between two executions on the same day', () => {
    expect(semanticVersion('2026-11-15T09:00:00Z', 'monthly-2026-11')).not.toBe(semanticVersion('2026-11-15T09:00:00Z', 'release-win2022'));
  });
});
