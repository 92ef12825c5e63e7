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

/**
 * How long {@link JobProducer.enqueue} and {@link JobProducer.withdraw} wait for the queue backend.
 * ioredis holds a command sent just before Redis stopped answering (a frozen or partitioned server,
 * not a closed connection) until it answers again: a request that queues a job would hang with it,
 * and a job handler that withdraws one would hold its unit's shutdown.
 */
export const QUEUE_ANSWER_TIMEOUT_MS = 1500;

/** Adds declared jobs to their queues, with the current request's context attached. */
@Injectable()
export class JobProducer {
  /** Each queue looked up once: `enqueue` runs for every job. */
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly cls: ClsService,
  ) {}

  /**
   * Adds a job, or rejects: at once when the backend is unreachable, after
   * {@link QUEUE_ANSWER_TIMEOUT_MS} when it does not answer. A job given up on may still be added
   * when the backend answers again, so a caller that answers the failure must not mind a job
   * arriving for work it did not do (the settle job of a placement that kept nothing finds nothing).
   */
  async enqueue<Payload>(job: JobDefinition<Payload>, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    const queue = this.queueOf(job);
    const data: JobData<Payload> = { payload, context: { requestId: this.cls.getId() } };
    const added = queue.add(job.name, data, {
      jobId: options.jobId,
      delay: options.delayMs,
      ...(job.attempts ? { attempts: job.attempts } : {}),
    });
    await answerWithin(added, QUEUE_ANSWER_TIMEOUT_MS);
  }

  /**
   * Withdraws a job that has not started (waiting or delayed), e.g. a safety net made redundant.
   * A job running is left to finish; an unknown id is no error. Best effort, so bounded: a backend
   * that does not answer within {@link QUEUE_ANSWER_TIMEOUT_MS} is given up on with an error. The
   * job then runs, and must find nothing to do.
   */
  async withdraw<Payload>(job: JobDefinition<Payload>, jobId: string): Promise<void> {
    await answerWithin(this.queueOf(job).remove(jobId), QUEUE_ANSWER_TIMEOUT_MS);
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
