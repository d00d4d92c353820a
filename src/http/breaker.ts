import { HttpError, type HostBreaker } from './client.ts';

/**
 * A per-host circuit breaker for one run: after the first host-level failure (DNS, connection refused, TLS, no
 * answer within the deadlines, once its retries are spent) the host is not asked again; later calls fail at once
 * with an UnreachableError naming the first cause, and the breaker counts them so the run can report the host
 * once ("registry.npmjs.org: connect ECONNREFUSED …; 78 lookups not done") instead of once per lookup.
 */
export class UnreachableError extends HttpError {
  /** The failure that opened the breaker. */
  readonly first: HttpError;
  constructor(host: string, first: HttpError) {
    super(`not asked: ${host} is unreachable this run (${first.message})`, undefined, { host, ...(first.transport ? { transport: first.transport } : {}) });
    this.first = first;
  }
}

export interface OpenCircuit {
  host: string;
  /** The first failure's message (URL redacted). */
  cause: string;
  transport?: string;
  /** Calls refused by the breaker after it opened. */
  refused: number;
}

export class CircuitBreaker implements HostBreaker {
  private readonly open = new Map<string, { first: HttpError; refused: number }>();

  check(host: string): HttpError | undefined {
    const o = this.open.get(host);
    if (!o) return undefined;
    o.refused++;
    return new UnreachableError(host, o.first);
  }

  trip(host: string, error: HttpError): void {
    if (!this.open.has(host)) this.open.set(host, { first: error, refused: 0 });
  }

  /** Hosts found unreachable this run, sorted. */
  openCircuits(): OpenCircuit[] {
    return [...this.open]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([host, o]) => ({ host, cause: o.first.message, ...(o.first.transport ? { transport: o.first.transport } : {}), refused: o.refused }));
  }
}
