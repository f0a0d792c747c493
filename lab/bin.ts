#!/usr/bin/env node
import { useCallerHome } from './engine/home.js';
import { start } from './cli.js';

// The package's bin, `deploy-loss-lab <command>`: the lab's CLI with the caller's directory as home
// (paths as typed, results in ./deploy-loss-results/), never the installed package's own folder.
useCallerHome();
start(process.argv.slice(2));
