// @ts-check
/** Loaded with `node --import` before what the bench starts: writes the process's CPU time (user + system, ms) to CPU_PROBE_FILE on exit. */
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.CPU_PROBE_FILE;
  const { user, system } = process.cpuUsage();
  if (file) writeFileSync(file, String((user + system) / 1000));
});
