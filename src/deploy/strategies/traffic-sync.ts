import type { Group, Instance, Route } from '../drivers/driver.ts';
import { waitReady } from '../gates/readiness.ts';
import type { RolloutContext } from './strategy.ts';

/**
 * Keeps the traffic front in step with the engine while a group changes: an instance gets traffic once its own
 * readiness probe passed, an instance the engine is stopping is drained, a gone one leaves. Runs until stopped;
 * `firstUnready` reports an instance of image `watch` that was not ready within the readiness timeout.
 */
export class TrafficSync {
  private readonly ready = new Set<string>();
  private readonly probing = new Set<string>();
  private readonly failed = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private last: Instance[] = [];
  private readonly ctx: RolloutContext;
  private readonly groups: Group[];
  watch: string | undefined;
  /** An image that must not get traffic while another one has a ready instance (the version being rolled back). */
  exclude: string | undefined;
  constructor(ctx: RolloutContext, groups: Group[]) {
    this.ctx = ctx;
    this.groups = groups;
  }

  start(periodMs = 200): void {
    this.timer = setInterval(() => void this.tick(), periodMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
  }

  /** Endpoints of instances of `image` that passed readiness. */
  readyOf(image: string): Instance[] {
    return this.last.filter((i) => i.image === image && !i.stopping && this.ready.has(i.endpoint));
  }

  /** Ready instances serving traffic that do not run `image`. */
  othersReady(image: string): number {
    return this.last.filter((i) => i.image !== image && !i.stopping && this.ready.has(i.endpoint)).length;
  }

  firstUnready(): { endpoint: string; error: string } | undefined {
    const [e] = this.failed;
    return e ? { endpoint: e[0], error: e[1] } : undefined;
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const all = (await Promise.all(this.groups.map((g) => this.ctx.driver.observe(this.ctx.t, g)))).flat();
      this.last = all;
      for (const i of all) {
        if (i.stopping || this.ready.has(i.endpoint) || this.probing.has(i.endpoint) || this.failed.has(i.endpoint)) continue;
        this.probing.add(i.endpoint);
        void waitReady(this.ctx.readiness, i.endpoint).then((r) => {
          this.probing.delete(i.endpoint);
          if (r.ok) this.ready.add(i.endpoint);
          else if (i.image === this.watch) this.failed.set(i.endpoint, r.status ? `HTTP ${r.status}` : (r.error ?? 'no answer'));
        });
      }
      let routed = all.filter((i) => this.ready.has(i.endpoint));
      if (this.exclude && routed.some((i) => i.image !== this.exclude && !i.stopping)) routed = routed.filter((i) => i.image !== this.exclude);
      const routes: Route[] = routed.map((i) => ({ endpoint: i.endpoint, state: i.stopping ? 'drain' : 'ready' }));
      // Never empty the front while old instances still run: a route list without a ready instance keeps what is there.
      if (routes.some((r) => r.state === 'ready')) await this.ctx.driver.shiftTraffic(this.ctx.t, routes);
    } catch {
      /* the next tick tries again; the strategy sees engine failures through its own calls */
    } finally {
      this.busy = false;
    }
  }
}
