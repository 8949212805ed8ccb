// Loaded by the demo page (web/demo/demo.js) and by the demo server's report (Node):
// how sizes and durations are shown, so the page and the terminal agree.

/** 50000000 → '50.0 MB' (decimal units, as download sizes are usually shown). */
export function formatBytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  do { value /= 1000; unit++; } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 850 → '850 ms', 2140 → '2.14 s'. */
export function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
