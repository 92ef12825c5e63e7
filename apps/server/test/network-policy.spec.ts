import { parseTopology, planTopology, type UnitPlan } from '@strata/platform/runtime';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { application } from '../src/application';

/**
 * The Kubernetes NetworkPolicies (docker/k8s/base/network-policy.yaml) against the plan of the
 * deployed topology: the internal port of every unit that serves calls admits exactly the units
 * the plan lists as its callers, and a unit that serves none has no policy opening it.
 */

const DEPLOYED = 'split';
const INTERNAL_PORT = 4000;
const plans: Map<string, UnitPlan> = planTopology(parseTopology(DEPLOYED, application.topologies[DEPLOYED]), application.modules);

interface Rule {
  ports?: { port: number }[];
  from?: { podSelector?: { matchLabels?: Record<string, string> } }[];
}
interface Policy {
  kind: string;
  spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Rule[] };
}

const policies = parseAllDocuments(readFileSync(join(__dirname, '../../../docker/k8s/base/network-policy.yaml'), 'utf8')).map(
  (document) => document.toJSON() as Policy,
);
const component = (labels: Record<string, string> | undefined) => labels?.['app.kubernetes.io/component'];

describe('the NetworkPolicies of the deployed topology', () => {
  it('open the internal port of each serving unit to exactly its planned callers', () => {
    const admitted = Object.fromEntries(
      policies
        .filter((policy) => policy.kind === 'NetworkPolicy')
        .map((policy) => [
          component(policy.spec.podSelector.matchLabels),
          policy.spec.ingress
            .filter((rule) => rule.ports?.some((port) => port.port === INTERNAL_PORT))
            .flatMap((rule) => (rule.from ?? []).map((peer) => component(peer.podSelector?.matchLabels)))
            .sort(),
        ]),
    );
    const planned = Object.fromEntries(
      [...plans.values()]
        .filter((plan) => plan.callers.length > 0)
        .map((plan) => [plan.unit, plan.callers.map((caller) => caller.unit).sort()]),
    );

    expect(admitted).toEqual(planned);
  });

  it('never open the internal port without naming who may use it', () => {
    for (const policy of policies) {
      for (const rule of policy.spec.ingress) {
        if (rule.ports?.some((port) => port.port === INTERNAL_PORT)) expect(rule.from?.length).toBeGreaterThan(0);
      }
    }
  });
});
