import type { JobsOptions } from 'bullmq';

/** One side's add→done run. */
export interface QueueSide {
  /** Jobs added and completed per second, from the first add to the last completion. */
  jobsPerSecond: number;
  /** Adds per second (each awaited), the producer's part alone. */
  addsPerSecond: number;
  seconds: number;
}

export interface QueueRound {
  raw: QueueSide;
  wrapper: QueueSide;
}

/** What the queue benchmark program (bench/queue/main.ts) reports for one backend. */
export interface QueueRun {
  backend: 'redis' | 'postgres';
  jobs: number;
  /** Each round's jobs came in this many slices per side, the sides taking turns. */
  slices: number;
  concurrency: number;
  jobOptions: JobsOptions;
  rounds: QueueRound[];
}
