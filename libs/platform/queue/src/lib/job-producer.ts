import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { answerWithin } from './answer-within';
import type { JobData, JobDefinition } from './job-definition';

export interface EnqueueOptions {
  /** Deduplicates: a job with the same id is not added twice while it is kept. */
  jobId?: string;
  /** Runs the job no earlier than this many milliseconds from now. */
  delayMs?: number;
}

/** How long {@link JobProducer.withdraw} waits for the queue backend. */
export const WITHDRAW_TIMEOUT_MS = 1000;

/** Adds declared jobs to their queues, with the current request's context attached. */
@Injectable()
export class JobProducer {
  /** Each queue looked up once: `enqueue` runs for every job. */
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly cls: ClsService,
  ) {}

  async enqueue<Payload>(job: JobDefinition<Payload>, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    const queue = this.queueOf(job);
    const data: JobData<Payload> = { payload, context: { requestId: this.cls.getId() } };
    await queue.add(job.name, data, { jobId: options.jobId, delay: options.delayMs, ...(job.attempts ? { attempts: job.attempts } : {}) });
  }

  /**
   * Withdraws a job that has not started (waiting or delayed), e.g. a safety net made redundant.
   * A job running is left to finish; an unknown id is no error. Best effort, so bounded: a backend
   * that does not answer within {@link WITHDRAW_TIMEOUT_MS} (ioredis holds a command sent just
   * before Redis went away until Redis is back) is given up on with an error, rather than holding
   * the job handler that withdraws, and its unit's shutdown, until then. The job then runs, and
   * must find nothing to do.
   */
  async withdraw<Payload>(job: JobDefinition<Payload>, jobId: string): Promise<void> {
    await answerWithin(this.queueOf(job).remove(jobId), WITHDRAW_TIMEOUT_MS);
  }

  private queueOf(job: JobDefinition<unknown>): Queue {
    let queue = this.queues.get(job.queue);
    if (!queue) {
      queue = this.moduleRef.get<Queue>(getQueueToken(job.queue), { strict: false });
      this.queues.set(job.queue, queue);
    }
    return queue;
  }
}
