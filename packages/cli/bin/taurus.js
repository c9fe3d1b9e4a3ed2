#!/usr/bin/env node
// The taurus command. A file of its own (not dist/main.js) so that pnpm can link it
// into a workspace before anything is built.
import "../dist/main.js";
