/** A deploy that cannot start or cannot go on: the message says what was wrong and what state the service is in. */
export class DeployError extends Error {
  /** 2 usage/config, 5 engine unreachable (the network of the engine), 3 never. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The container engine (docker daemon, API server) could not be reached. */
export class EngineUnreachableError extends DeployError {
  constructor(message: string) {
    super(message, 5);
  }
}

/** The engine itself found the new version unhealthy (its health command failed, it stopped the rollout). */
export class UnhealthyError extends DeployError {
  constructor(message: string) {
    super(message, 3);
  }
}
