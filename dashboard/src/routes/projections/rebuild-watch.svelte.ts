import { isRebuilding, type ProjectionList, rebuildFinished } from '$lib/admin/projections';
import { api, call } from '$lib/api/client';

const READ = 'Reading the projections';

/**
 * The projections list while rebuilds run: polled every second (one small GET) from the moment a
 * rebuild is started here, or seen running, until none runs and the one started here has finished.
 */
export class RebuildWatch {
  list = $state<ProjectionList | null>(null);
  /** The rebuild this page started and has not yet seen finish. */
  pendingId = $state<string | null>(null);
  error = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A list read by the page's load: the starting point, and polling if it shows a rebuild. */
  seed(list: ProjectionList) {
    this.list = list;
    if (this.pendingId || isRebuilding(list)) this.#schedule();
  }

  async start(name: string, reason: string) {
    const body = reason ? { reason } : {};
    const started = await call(`Starting the rebuild of ${name}`, () =>
      api.POST('/api/projections/{name}/rebuild', { params: { path: { name } }, body }),
    );
    this.pendingId = started.id;
    this.#schedule(0);
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms = 1000) {
    this.stop();
    this.#timer = setTimeout(() => void this.#poll(), ms);
  }

  async #poll() {
    try {
      const list = await call(READ, () => api.GET('/api/projections'));
      this.list = list;
      this.error = null;
      if (this.pendingId && rebuildFinished(list, this.pendingId)) this.pendingId = null;
    } catch (e) {
      // Keep polling: a replica restarting mid-rebuild answers again a moment later.
      this.error = e instanceof Error ? e.message : String(e);
    }
    if (this.pendingId || (this.list && isRebuilding(this.list))) this.#schedule();
    else this.#timer = undefined;
  }
}
