import 'reflect-metadata';
import { runUnit } from '@strata/platform/runtime';
import { application } from './application';
import { refuseArguments } from './no-arguments';

// One program for every unit of every topology: TOPOLOGY and UNIT say which one this process is.
refuseArguments('main.js', 'PORT=4000 npm start');
runUnit(application);
