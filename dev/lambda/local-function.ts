import { LocalLambda, type LocalFunctionSpec, type LocalInvocation } from "./local-lambda";

/** The function is at its concurrency limit: Lambda's TooManyRequestsException (a throttle). */
export class Throttled extends Error {
  override readonly name = "TooManyRequestsException";
}

/**
 * How long an execution environment waits unused before it is stopped, as Lambda reclaims idle ones
 * (after minutes; AWS does not say how many): a stack of hundreds of functions holds no process for a
 * function nobody called lately, and its next invocation starts cold.
 */
export const IDLE_ENVIRONMENT_MS = 5 * 60_000;

/**
 * One function as Lambda scales it: an execution environment per concurrent invocation, started on first
 * use, reused when free (warm), a new one (cold) when all are busy, up to `maxEnvironments` (its reserved
 * concurrency); one more concurrent invocation is throttled. An environment idle for `idleMs` is stopped.
 * `reload` (new code) retires every environment: idle ones now, busy ones when their invocation ends.
 */
export class LocalFunction {
  private idle: LocalLambda[] = [];
  private readonly reapers = new Map<LocalLambda, NodeJS.Timeout>();
  private busy = new Set<LocalLambda>();
  private generation = 0;
  private readonly generations = new WeakMap<LocalLambda, number>();

  constructor(
    private spec: LocalFunctionSpec,
    readonly maxEnvironments: number,
    private readonly log: (invocation: LocalInvocation, spec: LocalFunctionSpec) => void = () => undefined,
    private readonly idleMs = IDLE_ENVIRONMENT_MS,
  ) {}

  /** Execution environments that exist now: busy, and idle (warm). */
  get environments(): number {
    return this.busy.size + this.idle.length;
  }

  get name(): string {
    return this.spec.name;
  }

  get environment(): Record<string, string> {
    return { ...this.spec.environment };
  }

  /** The memory and timeout its environments run with, as the function is configured. */
  get settings(): { memoryMb: number; timeoutSeconds: number } {
    return { memoryMb: this.spec.memoryMb, timeoutSeconds: this.spec.timeoutSeconds };
  }

  async invoke(event: unknown): Promise<LocalInvocation> {
    if (this.busy.size >= this.maxEnvironments)
      throw new Throttled(`Rate Exceeded: ${this.spec.name} is at its concurrency limit (${this.maxEnvironments})`);
    const environment = this.idle.pop() ?? this.create();
    clearTimeout(this.reapers.get(environment));
    this.reapers.delete(environment);
    this.busy.add(environment);
    try {
      const invocation = await environment.invoke(event);
      this.log(invocation, this.spec);
      return invocation;
    } finally {
      this.busy.delete(environment);
      if (this.generations.get(environment) === this.generation) this.keepWarm(environment);
      else environment.stop();
    }
  }

  /** New code or settings: every later invocation runs in a new environment. */
  reload(spec: LocalFunctionSpec = this.spec): void {
    this.spec = spec;
    this.generation++;
    for (const environment of this.idle.splice(0)) this.retire(environment);
  }

  /** Back among the idle, until used again or idle too long. */
  private keepWarm(environment: LocalLambda): void {
    this.idle.push(environment);
    const reaper = setTimeout(() => {
      this.idle = this.idle.filter((candidate) => candidate !== environment);
      this.retire(environment);
    }, this.idleMs);
    reaper.unref(); // an idle environment keeps nothing running
    this.reapers.set(environment, reaper);
  }

  private retire(environment: LocalLambda): void {
    clearTimeout(this.reapers.get(environment));
    this.reapers.delete(environment);
    environment.stop();
  }

  stop(): void {
    this.reload();
    for (const environment of this.busy) environment.stop();
  }

  private create(): LocalLambda {
    const environment = new LocalLambda(this.spec);
    this.generations.set(environment, this.generation);
    return environment;
  }
}
