import 'reflect-metadata';
import { runEdge } from '@strata/platform/edge';
import { application } from './application';
import { refuseArguments } from './no-arguments';

/**
 * The edge in front of a topology's API units (`TOPOLOGY`; `PORT`, default 3000): one address for
 * the whole public API, each route sent to the unit hosting its presentation tier. The launcher
 * runs it when a topology has several API units.
 */
refuseArguments('edge.js', 'TOPOLOGY=orders-service PORT=4000 node dist/apps/server/edge.js');
runEdge(application);
