/**
 * Stops a process the launcher started once the launcher has ended. Killed with SIGKILL (or
 * crashed), the launcher cannot stop its processes, which would run on unsupervised, holding their
 * ports against the next start. An ended parent shows as a new parent pid (init's, or a
 * subreaper's). The process stops as on Ctrl-C, through its own SIGINT handler.
 */
export function stopWithLauncher(launcherPid: number | undefined, log: (message: string) => void): void {
  if (launcherPid === undefined) return;
  const watch = setInterval(() => {
    if (process.ppid === launcherPid) return;
    clearInterval(watch);
    log(`The launcher (pid ${launcherPid}) has ended: stopping`);
    process.kill(process.pid, 'SIGINT');
  }, 500);
  watch.unref();
}
