/**
 * Calls `stop` on each signal a unit or the edge stops on: SIGTERM (an orchestrator, which the
 * stop answers with a drain first), SIGINT (Ctrl-C) and SIGHUP (its terminal closed), all three
 * gracefully. `on`, not `once`: a second Ctrl-C (a terminal sends it to every process of the group,
 * and concurrently forwards its own) must not fall through to Node's default and kill the shutdown.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);
}
