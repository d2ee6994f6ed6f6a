import { readFile } from 'node:fs/promises';

import { UsageError } from '../errors';
import { parseSimulatorState, SimulatorState } from './state';

/** Reads and validates a simulator state file (CONTRACT section 5); errors name the file and the path. */
export async function loadSimulatorStateFile(file: string): Promise<SimulatorState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSimulatorState(json, file);
}
