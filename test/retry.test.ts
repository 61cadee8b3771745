import { describe, expect, it, vi } from 'vitest';
import { backoffMs, isRetryable, withRetries } from '../lib/aws/retry.js';

const awsError = (name: string, fault: 'client' | 'server' = 'client') => Object.assign(new Error(name), { name, $fault: fault });

describe('withRetries', () => {
  it('retries each service\'s throttling error and server faults, then returns the result', async () => {
    for (const error of [awsError('Throttling'), awsError('RequestLimitExceeded'), awsError('TooManyRequestsException'), awsError('InternalError', 'server')]) {
      const call = vi.fn().mockRejectedValueOnce(error).mockRejectedValueOnce(error).mockResolvedValue('ok');
      await expect(withRetries(call, { baseMs: 0 })).resolves.toBe('ok');
      expect(call).toHaveBeenCalledTimes(3);
    }
  });

  it('does not retry a client error such as a validation failure or InstanceRefreshInProgressFault', async () => {
    for (const name of ['ValidationError', 'InstanceRefreshInProgressFault', 'InvalidAMIID.NotFound']) {
      const call = vi.fn().mockRejectedValue(awsError(name));
      await expect(withRetries(call, { baseMs: 0 })).rejects.toMatchObject({ name });
      expect(call).toHaveBeenCalledTimes(1);
    }
  });

  it('gives up after the configured attempts with the last error', async () => {
    const call = vi.fn().mockRejectedValue(awsError('Throttling'));
    await expect(withRetries(call, { attempts: 4, baseMs: 0 })).rejects.toMatchObject({ name: 'Throttling' });
    expect(call).toHaveBeenCalledTimes(4);
  });
});

describe('backoffMs', () => {
  it('is full jitter: anywhere from 0 up to base x 2^attempt, capped', () => {
    const opts = { attempts: 10, baseMs: 250, capMs: 20_000 };
    expect(backoffMs(3, { ...opts, random: () => 0 })).toBe(0);
    expect(backoffMs(3, { ...opts, random: () => 0.999999 })).toBe(1999);
    expect(backoffMs(12, { ...opts, random: () => 0.999999 })).toBe(19_999);
  });
});

describe('isRetryable', () => {
  it('treats non-errors as final', () => {
    expect(isRetryable('Throttling')).toBe(false);
  });
});
