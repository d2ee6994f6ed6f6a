import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AccessKeyCredentials } from '../../lib/model';
import { Simulator, SimulatorOptions, startSimulator } from '../../lib/simulator';

/**
 * The settings a function or the CLI needs to call the simulator with AK/SK signing (CONTRACT 4):
 * its endpoint and project, and the credentials it was started with.
 */
export function apiEnv(sim: Simulator, credentials: AccessKeyCredentials): Record<string, string> {
  return {
    VPCEP_ENDPOINT: sim.url,
    HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
    HUAWEICLOUD_SDK_AK: credentials.ak,
    HUAWEICLOUD_SDK_SK: credentials.sk,
  };
}

/** A start function for simulators that are all stopped after each test. */
export function simulatorPerTest(): (options: SimulatorOptions) => Promise<Simulator> {
  const started: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    started.push(sim);
    return sim;
  };
}

/**
 * A temporary folder for the test file, holding `files` (name: text) from beforeAll and removed
 * after all its tests; `path(name)` is where a file of it is (valid once beforeAll has run).
 */
export function tempFiles(
  prefix: string,
  files: Record<string, string> = {},
): { dir: () => string; path: (name: string) => string } {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const here = () => {
    if (!dir) throw new Error('tempFiles: used before beforeAll');
    return dir;
  };
  return { dir: here, path: (name) => join(here(), name) };
}

/** A request as the simulator's `gate` sees it. */
export interface GatedRequest {
  method: string;
  route: string;
  query: URLSearchParams;
}

/**
 * A simulator `gate` that holds the first request `matches` picks until `release()`;
 * `arrival` resolves when it arrives. Tests reproduce a race (or a slow call) with it, without sleeps.
 */
export function gateOn(matches: (r: GatedRequest) => boolean): {
  gate: (r: GatedRequest) => Promise<void>;
  arrival: Promise<void>;
  release: () => void;
} {
  let held = false;
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrival = new Promise<void>((r) => (arrived = r));
  return {
    gate: async (r) => {
      if (held || !matches(r)) return;
      held = true;
      arrived();
      await released;
    },
    arrival,
    release,
  };
}
