// @ts-check
/** Loaded with `node --import` before the action: writes the process's peak RSS (bytes) to MEMORY_PROBE_FILE on exit. */
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.MEMORY_PROBE_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
