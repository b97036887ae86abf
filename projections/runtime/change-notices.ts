/**
 * Read models announce committed changes on this PostgreSQL channel (LISTEN read_model_changes),
 * so an API in another process than the projector can push them to its live clients.
 */
export const CHANGES_CHANNEL = 'read_model_changes';

/** What a batch changed, by key: `tasks` message sids whose row changed, `failures` message sids whose failure item may have. */
export type ChangedKeys = Partial<Record<'tasks' | 'failures', string[]>>;

/** One notification's payload: ids only (the listener reads the rows), or a rebuild's swap. */
export type ChangeNotice =
  | { schema: string; model: string; ids: ChangedKeys }
  | { schema: string; model: string; rebuilt: true };

/** NOTIFY payloads must stay under 8000 bytes; sids are ~34 bytes, so this leaves ample room. */
const MAX_PAYLOAD_BYTES = 7000;

/** Collects a batch's changed keys and turns them into as few payloads as fit the NOTIFY limit. */
export class ChangeCollector {
  private readonly keys = new Map<keyof ChangedKeys, Set<string>>();

  add(changed: ChangedKeys): void {
    for (const [key, ids] of Object.entries(changed) as [keyof ChangedKeys, string[]][]) {
      const set = this.keys.get(key) ?? new Set<string>();
      for (const id of ids) set.add(id);
      this.keys.set(key, set);
    }
  }

  payloads(schema: string, model: string): string[] {
    const payloads: string[] = [];
    let ids: ChangedKeys = {};
    let size = 0;
    const flush = () => {
      if (size > 0) payloads.push(JSON.stringify({ schema, model, ids } satisfies ChangeNotice));
      ids = {};
      size = 0;
    };
    for (const [key, set] of this.keys) {
      for (const id of set) {
        if (size + id.length + 3 > MAX_PAYLOAD_BYTES - 200) flush();
        const list = ids[key] ?? [];
        list.push(id);
        ids[key] = list;
        size += id.length + 3;
      }
    }
    flush();
    return payloads;
  }
}

export const notifySql = 'SELECT pg_notify($1, $2)';
