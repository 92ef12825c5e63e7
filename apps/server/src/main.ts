import 'reflect-metadata';
import { runUnit } from '@strata/platform/runtime';
import { application } from './application';

// One program for every unit of every topology: TOPOLOGY and UNIT say which one this process is.
runUnit(application);
