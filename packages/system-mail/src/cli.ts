#!/usr/bin/env node
// The `system-mail` command: see cli/run-cli.ts and the package README.
import { runCli } from './cli/run-cli.js';

process.exitCode = await runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
