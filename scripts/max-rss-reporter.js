// Preloaded (node -r) into a process whose peak memory a benchmark reads: at exit it writes the process's
// maximum resident set size to stderr, on a line of its own that the benchmark parses.
"use strict";
process.on("exit", () => process.stderr.write(`\nmax-rss-kb ${process.resourceUsage().maxRSS}\n`));
