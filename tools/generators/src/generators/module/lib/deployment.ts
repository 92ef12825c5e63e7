import type { Tree } from '@nx/devkit';
import { applyDeploymentChange, DEPLOYED_TOPOLOGY, needsOfPlans } from '../../../lib/deployment';
import { readPortGraph } from '../../../lib/port-graph';
import { planStatic, readTopology, topologyPath } from '../../../lib/topology';

/**
 * The deployment follows the module's placement, as it follows an extraction: for the deployed
 * topology (`split`), its routes in the Ingress, and every unit whose needs the new tiers change
 * (its DATABASE_URL and REDIS_URL in compose and its manifest, who may call its internal port in
 * the NetworkPolicies), through the same edit `extract` and `merge` make. The split as it is now
 * is read first; `apply` runs once the module's files and registrations are in the tree, since
 * the port graph is read from them.
 */
export function planDeployment(tree: Tree): { apply(): string[] } {
  const deployed = topologyPath(DEPLOYED_TOPOLOGY);
  if (!tree.exists(deployed)) return { apply: () => [] };
  const topologyBefore = readTopology(tree, DEPLOYED_TOPOLOGY);
  const before = needsOfPlans(planStatic(topologyBefore, readPortGraph(tree)).plans, topologyBefore);
  return {
    apply: () => {
      const graph = readPortGraph(tree);
      const topologyAfter = readTopology(tree, DEPLOYED_TOPOLOGY);
      const after = needsOfPlans(planStatic(topologyAfter, graph).plans, topologyAfter);
      return applyDeploymentChange(tree, { topologyBefore, topologyAfter, before, after, graph });
    },
  };
}
