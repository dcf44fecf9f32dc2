// Preloaded (node -r) into a process whose peak memory a benchmark reads: at exit it writes the process's
// peak resident set size to stderr, on a line of its own that the benchmark parses. On Linux that is
// /proc/self/status's VmHWM: getrusage's maxRSS carries over the parent's resident size at fork (Linux
// keeps the high-water mark across execve), so a child of a large process (a long mocha run) would report
// its parent's memory as its own.
"use strict";
const { readFileSync } = require("node:fs");

function peakRssKb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Number(hwm[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

process.on("exit", () => process.stderr.write(`\nmax-rss-kb ${peakRssKb()}\n`));
