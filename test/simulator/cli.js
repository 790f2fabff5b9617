// @ts-check
/** Start the Retab simulator on its own: `node test/simulator/cli.js [--port 8787] [--shape flat|reference]` (flat, the SDK's, by default). */
import { parseArgs } from 'node:util';
import { startSimulator } from './retab-simulator.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8787' }, shape: { type: 'string', default: 'flat' } },
});
const shape = values.shape === 'reference' ? 'reference' : 'flat';
const simulator = await startSimulator({ port: Number(values.port), shape });
console.log(`Retab simulator listening on ${simulator.url} (key ${simulator.apiKey}, ${shape} shape)`);
const stop = async () => {
  await simulator.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
