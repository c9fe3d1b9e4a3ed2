#!/usr/bin/env node
// The taurus-lines-server command. A file of its own (not dist/main.js) so that pnpm can
// link it into the workspace before anything is built.
import "../dist/main.js";
