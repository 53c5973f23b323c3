import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import type { Provider, VMInstance, VMStatus } from '../../src/types.js';
import { waitForVM } from '../../src/wait-for-vm.js';

function vm(status: VMStatus, ip = ''): VMInstance {
  return {
    id: '1',
    name: 'a',
    ip,
    status,
    statusDetail: status,
    serverType: 'cx23',
    location: 'fsn1',
    createdAt: '',
    labels: {},
  };
}

/** A provider whose getVM walks through `reads`, repeating the last one. */
function scripted(reads: Array<VMInstance | null>): Provider & { calls: number } {
  const fake = {
    name: 'hetzner' as const,
    calls: 0,
    getVM: async () => {
      const read = reads[Math.min(fake.calls, reads.length - 1)] ?? null;
      fake.calls++;
      return read;
    },
  };
  return fake as unknown as Provider & { calls: number };
}

const fast = { intervalMs: 1, maxIntervalMs: 2, timeoutMs: 2_000 };

describe('waitForVM', () => {
  it('waits for running with an IP', async () => {
    const provider = scripted([
      vm('initializing'),
      vm('starting'),
      vm('running'),
      vm('running', '203.0.113.9'),
    ]);
    const seen: Array<string | undefined> = [];
    const result = await waitForVM(provider, '1', {
      until: 'running',
      ...fast,
      onPoll: (read) => seen.push(read?.status),
    });
    expect(result?.ip).toBe('203.0.113.9');
    expect(provider.calls).toBe(4);
    expect(seen).toEqual(['initializing', 'starting', 'running', 'running']);
  });

  it('waits for other statuses, for deletion and for custom conditions', async () => {
    expect(
      (await waitForVM(scripted([vm('stopping'), vm('off')]), '1', { until: 'off', ...fast }))?.status,
    ).toBe('off');
    expect(await waitForVM(scripted([vm('deleting'), null]), '1', { until: 'deleted', ...fast })).toBeNull();
    const custom = await waitForVM(scripted([vm('starting'), vm('running', '1.2.3.4')]), '1', {
      until: (read) => read?.ip === '1.2.3.4',
      ...fast,
    });
    expect(custom?.ip).toBe('1.2.3.4');
  });

  it('fails with not_found when the VM disappears, and conflict when it is locked', async () => {
    await expect(
      waitForVM(scripted([vm('starting'), null]), '1', { until: 'running', ...fast }),
    ).rejects.toMatchObject({
      category: 'not_found',
    });
    await expect(
      waitForVM(scripted([vm('locked')]), '1', { until: 'running', ...fast }),
    ).rejects.toMatchObject({
      category: 'conflict',
      retryable: false,
    });
    expect((await waitForVM(scripted([vm('locked')]), '1', { until: 'locked', ...fast }))?.status).toBe(
      'locked',
    );
  });

  it('times out with a typed error naming the last status', async () => {
    const provider = scripted([vm('starting')]);
    const failure = await waitForVM(provider, '1', { until: 'running', intervalMs: 5, timeoutMs: 30 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ category: 'timeout', retryable: false });
    expect((failure as Error).message).toContain('last status: starting');
    expect(provider.calls).toBeGreaterThan(1);
    const custom = await waitForVM(scripted([null]), '1', {
      until: () => false,
      intervalMs: 5,
      timeoutMs: 10,
    }).catch((error: unknown) => error);
    expect((custom as Error).message).toContain('the expected condition');
  });

  it('stops with the caller’s reason when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    const pending = waitForVM(scripted([vm('starting')]), '1', {
      until: 'running',
      intervalMs: 1_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 10);
    await expect(pending).rejects.toBe(reason);
  });
});
