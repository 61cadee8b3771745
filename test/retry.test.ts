import { describe, expect, it, vi } from 'vitest';
import { backoffMs, isLostAnswer, isRetryable, withRetries } from '../lib/aws/retry.js';
import { logger } from '../lib/logger.js';

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

describe('lost answers and retry logs', () => {
  const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 1 } });

  it('retries a network error whose answer was lost (ECONNRESET, TimeoutError) and knows it may have taken effect', async () => {
    for (const error of [reset(), Object.assign(new Error('timed out'), { name: 'TimeoutError' })]) {
      const call = vi.fn().mockRejectedValueOnce(error).mockResolvedValue('ok');
      await expect(withRetries(call, { baseMs: 0 })).resolves.toBe('ok');
      expect(call).toHaveBeenCalledTimes(2);
      expect(isLostAnswer(error)).toBe(true);
    }
    expect(isLostAnswer(awsError('Throttling'))).toBe(false);
  });

  it('logs each retry as a warning naming the operation, the error and the attempt', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const call = vi.fn().mockRejectedValueOnce(awsError('Throttling')).mockRejectedValueOnce(reset()).mockResolvedValue('ok');
      await withRetries(call, { baseMs: 0, operation: 'StartInstanceRefresh' });

      expect(warn.mock.calls.map((c) => c[1])).toEqual([
        expect.objectContaining({ operation: 'StartInstanceRefresh', error: 'Throttling', attempt: 1 }),
        expect.objectContaining({ operation: 'StartInstanceRefresh', error: 'ECONNRESET', attempt: 2 }),
      ]);
      expect(String(warn.mock.calls[0]?.[0])).toBe('StartInstanceRefresh failed with Throttling: retry 1 of 9 in 0 ms');
    } finally {
      warn.mockRestore();
    }
  });
});
