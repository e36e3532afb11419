// Preloaded into benchmarked processes (node -r): writes the process's peak resident memory
// (KB) to the file named by BENCH_RSS_FILE when it exits, however it exits.
"use strict";
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      require("node:fs").writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // A benchmark without a memory figure is better than a failed command.
    }
  });
}
