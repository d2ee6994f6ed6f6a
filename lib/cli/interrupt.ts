/**
 * SIGINT/SIGTERM during a `plan` or `apply` run (CONTRACT section 1): the first interrupt stops
 * the run gently, a second one ends the process at once, saying what was left unrecorded.
 */
import { Auditor } from '../audit/auditor';
import { actionSubject } from '../audit/event';
import { Action } from '../model';
import { CliContext, signalExitCode, StopSignal } from './context';

/** A run's interruption, as the engine takes it (signal, inFlight) and the command reads it back. */
export interface Interruption {
  /** Aborted by the first interrupt: no new action starts. */
  readonly signal: AbortSignal;
  /** The engine's calls in flight, named on stderr by a second interrupt. */
  readonly inFlight: Set<Action>;
  /** The first signal received, if any. */
  readonly received: StopSignal | undefined;
  /** Stops listening for signals (the run is over). */
  dispose(): void;
}

/**
 * Listens for SIGINT/SIGTERM during a run: the first aborts `controller` (no new action starts;
 * the calls in flight finish and are recorded; exit 130/143); a second exits at once, writing
 * every unsent event and one `unrecorded:` line per call still in flight to stderr.
 */
export function handleInterrupts(ctx: CliContext, auditor: Auditor, controller: AbortController): Interruption {
  const inFlight = new Set<Action>();
  const state: { received?: StopSignal } = {};
  const dispose = ctx.onSignal((signal) => {
    if (state.received === undefined) {
      state.received = signal;
      ctx.stderr.write(
        `interrupted (${signal}): no new action starts; waiting for the calls in flight and recording them (again to exit at once)\n`,
      );
      controller.abort();
      return;
    }
    const unsent = auditor.abandon(`interrupted twice (${signal})`);
    for (const a of inFlight) ctx.stderr.write(`unrecorded: vpcep.${a.type} ${actionSubject(a)}\n`);
    ctx.stderr.write(
      `exiting at once: ${unsent} unsent event(s) written above as fallback lines, ${inFlight.size} call(s) unrecorded\n`,
    );
    ctx.exitNow(signalExitCode(state.received));
  });
  return {
    signal: controller.signal,
    inFlight,
    dispose,
    get received() {
      return state.received;
    },
  };
}
