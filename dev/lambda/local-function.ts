import { LocalLambda, type LocalFunctionSpec, type LocalInvocation } from "./local-lambda";

/** The function is at its concurrency limit: Lambda's TooManyRequestsException (a throttle). */
export class Throttled extends Error {
  override readonly name = "TooManyRequestsException";
}

/**
 * One function as Lambda scales it: an execution environment per concurrent invocation, reused when
 * free (warm), a new one (cold) when all are busy, up to `maxEnvironments` (its reserved concurrency);
 * one more concurrent invocation is throttled. `reload` (new code) retires every environment: idle ones
 * now, busy ones when their invocation ends.
 */
export class LocalFunction {
  private idle: LocalLambda[] = [];
  private busy = new Set<LocalLambda>();
  private generation = 0;
  private readonly generations = new WeakMap<LocalLambda, number>();

  constructor(
    private spec: LocalFunctionSpec,
    readonly maxEnvironments: number,
    private readonly log: (invocation: LocalInvocation, spec: LocalFunctionSpec) => void = () => undefined,
  ) {}

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
    this.busy.add(environment);
    try {
      const invocation = await environment.invoke(event);
      this.log(invocation, this.spec);
      return invocation;
    } finally {
      this.busy.delete(environment);
      if (this.generations.get(environment) === this.generation) this.idle.push(environment);
      else environment.stop();
    }
  }

  /** New code or settings: every later invocation runs in a new environment. */
  reload(spec: LocalFunctionSpec = this.spec): void {
    this.spec = spec;
    this.generation++;
    for (const environment of this.idle.splice(0)) environment.stop();
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
