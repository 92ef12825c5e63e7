export { moduleGenerator } from './generators/module/generator';
export { extractGenerator } from './generators/extract/generator';
export { mergeGenerator } from './generators/merge/generator';
export { ingressPathsOf } from './lib/deployment';
export { readPortGraph, type PortGraph, type TierGraph } from './lib/port-graph';
export { extract, merge } from './lib/relocate';
export { formatReport, HOP_COST, type ImpactReport } from './lib/report';
export { snapshot, workspaceTree } from './lib/testing';
