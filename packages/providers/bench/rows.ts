/** The benchmark's rows and the `measure` function that makes them (run.ts), shared with the volume rows. */
import type { EmulatorProcess } from './emulator-client.js';

export interface Row {
  operation: string;
  /** Requests of one run (the same every run). */
  requests: number;
  /** The fewest requests the API allows for this operation. */
  floorRequests: number;
  /** Median and 90th percentile wall time over the samples, after one warm-up run. */
  medianMs: number;
  p90Ms: number;
  /** The fewest sequential round trips the API allows. */
  floorRoundTrips: number;
  /** median wall time / (floor round trips × latency); `null` without latency or with a floor of no round trip. */
  ratio: number | null;
  /** The requests of the last run as the emulator logged them (`METHOD /path`, ids as placeholders), when asked. */
  emulatorLog?: string[];
}

export interface Floor {
  requests: number;
  roundTrips: number;
}

export interface MeasureOptions {
  /** Where the row goes. Default: the main table. */
  into?: Row[];
  /** Keep this emulator's log of the last run (it must hold as many requests as the provider counted). */
  log?: EmulatorProcess;
}

/** One row: a warm-up run and timed samples; `prepare` runs before each, outside the timing. */
export type Measure = <Context>(
  operation: string,
  floor: Floor,
  prepare: () => Promise<Context>,
  run: (context: Context) => Promise<unknown>,
  options?: MeasureOptions,
) => Promise<void>;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A logged path with its ids as `{uuid}` / `{id}`, so that runs on different resources read the same. */
export function placeholders(line: string): string {
  return line.replace(UUID, '{uuid}').replace(/\/[0-9]+(?=\/|$)/g, '/{id}');
}
