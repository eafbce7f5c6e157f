#!/usr/bin/env node
// glasshouse run [--guest] [options] -- <command> [args...]
import { main } from './main.js';

await main('glasshouse', process.argv.slice(2));
