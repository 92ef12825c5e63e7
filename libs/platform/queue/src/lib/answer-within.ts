/** What {@link answerWithin} rejects with when the answer did not come in time. */
class NoAnswerError extends Error {
  constructor(timeoutMs: number) {
    super(`the queue backend did not answer within ${timeoutMs} ms`);
  }
}

export const isNoAnswer = (error: unknown): boolean => error instanceof NoAnswerError;

/**
 * The backend's answer, or a rejection saying it did not come within `timeoutMs`. ioredis holds
 * a command sent just before Redis went away until Redis is back, so a wait on the queue backend
 * that must end is bounded here; the command itself is not cancelled, and its late outcome ignored.
 */
export async function answerWithin<T>(answer: Promise<T>, timeoutMs: number): Promise<T> {
  answer.catch(() => undefined); // once given up on, its outcome no longer matters
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}
