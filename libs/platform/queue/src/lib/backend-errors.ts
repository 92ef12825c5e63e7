/** How often a backend that keeps failing gets a line in the log. */
export const BACKEND_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Writes a backend's errors at most once per interval, each line saying how many like it were left
 * out since the last. A backend that is down fails every reconnection attempt, several times a
 * second for each queue and worker: one line per attempt would bury everything else in the log.
 */
export function backendErrorLog(
  write: (fields: Record<string, unknown>) => void,
  intervalMs = BACKEND_ERROR_LOG_INTERVAL_MS,
): (fields: Record<string, unknown>) => void {
  let lastWritten = -Infinity;
  let leftOut = 0;
  return (fields) => {
    const now = Date.now();
    if (now - lastWritten < intervalMs) {
      leftOut++;
      return;
    }
    write(leftOut > 0 ? { ...fields, leftOut } : fields);
    lastWritten = now;
    leftOut = 0;
  };
}
