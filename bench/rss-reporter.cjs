// Runs a benchmarked process's entry (`node bench/rss-reporter.cjs <script> [args]`, or `-e <code>`)
// and writes the process's peak resident memory (KB) to the file named by BENCH_RSS_FILE when it
// exits, however it exits. The script runs as the process's main module, as if started directly
// (a preload through `node -r` would itself be refused by coop's start-up checks).
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
const [script, ...args] = process.argv.slice(2);
if (script === "-e") {
  new Function("require", args[0])(require);
} else {
  process.argv = [process.argv[0], require("node:path").resolve(script), ...args];
  require("node:module").runMain();
}
