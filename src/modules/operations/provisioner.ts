import type { OperationType } from './types.js';

/** One step of an operation, as the cloud behind the provisioner sees it. */
export interface ProvisionRequest {
  operationId: string;
  type: OperationType;
  step: string;
  /** The resource worked on (cluster or app) and the operation's input. */
  resourceId: string;
  input: Record<string, unknown>;
  /** 1 for the first run; more when a step is run again after a crash or a retry. */
  attempt: number;
}

/**
 * The cloud side of operations. A step may run more than once (a worker can die after the cloud
 * did the work and before the step was recorded), so a driver must make each step idempotent,
 * keyed by operation id and step name, as real cloud APIs do with idempotency keys.
 */
export interface Provisioner {
  /** Does one step; returns what the step produced (e.g. endpoint URLs). Rejects with ProvisionerError when the cloud refuses. */
  perform(request: ProvisionRequest, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
}

/** A failure the operation reports as its error; retryOperation can run the step again. */
export class OperationFailure extends Error {}

/** The cloud refused or failed a step. */
export class ProvisionerError extends OperationFailure {}

interface InjectedFailure {
  type?: OperationType;
  step?: string;
  message: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/**
 * The default driver: a cloud simulated in process. Each step takes `stepMs`; endpoints are
 * derived from the resource id, so running a step twice gives the same answer. Failures can be
 * injected to exercise failure paths (tests, demos).
 */
export class SimulatedProvisioner implements Provisioner {
  private readonly failures: InjectedFailure[] = [];
  /** Every step performed, in order (tests read it to see what ran how often). */
  readonly performed: ProvisionRequest[] = [];

  constructor(private readonly stepMs: number) {}

  /** The next step matching `type` and `step` (any when left out) fails with `message`, once. */
  failNext(failure: InjectedFailure): void {
    this.failures.push(failure);
  }

  async perform(request: ProvisionRequest, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    if (this.stepMs > 0) await sleep(this.stepMs, signal);
    else if (signal.aborted) throw signal.reason;
    this.performed.push(request);
    const index = this.failures.findIndex((f) => (!f.type || f.type === request.type) && (!f.step || f.step === request.step));
    if (index >= 0) throw new ProvisionerError(this.failures.splice(index, 1)[0].message);
    if (request.type === 'CLUSTER_CREATE' && request.step === 'control-plane') {
      const host = `${request.resourceId.slice(0, 8)}.${String(request.input.region ?? 'local')}.clusters.graphplane.dev`;
      return { apiUrl: `https://api.${host}:6443`, consoleUrl: `https://console.${host}` };
    }
    return undefined;
  }
}
