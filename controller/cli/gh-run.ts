#!/usr/bin/env node
// gh-run [options] -- <command> [args...]
import { main } from './main.js';

await main('gh-run', process.argv.slice(2));
