import { vi } from 'vitest';

/**
 * Run `operation` in virtual time: every timer (the client's timeouts and backoff, the emulator's delays and state
 * transitions, the test's own) is faked and advanced one due timer at a time, so the interleaving is the same on
 * every run and on any machine, however loaded.
 */
export async function inVirtualTime<Result>(operation: () => Promise<Result>): Promise<Result> {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
  try {
    let finished = false;
    const run = operation().finally(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersToNextTimerAsync();
    return await run;
  } finally {
    vi.useRealTimers();
  }
}
