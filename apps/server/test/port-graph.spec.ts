import { readPortGraph, workspaceTree, type PortGraph } from '@strata/generators';
import { portDependenciesOf } from '@strata/platform/runtime';
import { application } from '../src/application';

/**
 * The generators' static port graph (read from the code with the TypeScript parser) against what
 * the runtime resolves from Nest metadata: for every tier and workers module of the application,
 * the same ports provided and needed. If they drift, extract and merge would plan topologies the
 * runtime refuses, or report hops that do not exist.
 */
describe('the static port graph of @strata/generators', () => {
  const graph: PortGraph = readPortGraph(workspaceTree());
  const names = (ports: { name: string }[]) => ports.map((port) => port.name).sort();
  const cases = Object.entries(application.modules).flatMap(([module, tiers]) =>
    Object.entries(tiers).map(([part, nestModule]) => [`${module}/${part}`, module, part, nestModule] as const),
  );

  it('knows every module of the application, in its order', () => {
    expect(graph.modules).toEqual(Object.keys(application.modules));
  });

  it.each(cases)('%s: the ports provided and needed are those portDependenciesOf resolves', (_, module, part, nestModule) => {
    const runtime = portDependenciesOf(nestModule as never);
    const found = graph.tiers[module][part as keyof PortGraph['tiers'][string]];
    expect(found?.nestModule).toBe((nestModule as { name: string }).name);
    expect({ provides: [...found!.provides].sort(), needs: [...found!.needs].sort() }).toEqual({
      provides: names(runtime.provides),
      needs: names(runtime.needs),
    });
  });
});
