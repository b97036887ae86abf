/** Pure helpers for an MMS's media on the Task detail page (unit-tested without the API client). */
import type { TaskDetail } from './timeline.js';

export type TaskMedia = TaskDetail['media'][number];

/** 512 B, 14.2 KB, 3.4 MB (powers of 1024, as MMS_MAX_BYTES is set). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb.toFixed(1)} KB`;
  return `${(kb / 1024).toFixed(1)} MB`;
}

/** The first 12 hex digits: enough to tell two images apart on screen; the full hash is in the timeline. */
export const shortHash = (sha256: string | undefined) => (sha256 ? sha256.slice(0, 12) : '—');

/** One line per item: "image/jpeg · 1.2 KB · sha256 3f2a…", or "not fetched" when the AI never saw it. */
export function mediaLine(media: TaskMedia): string {
  if (media.sizeBytes === undefined) return `${media.contentType} · not fetched`;
  return `${media.contentType} · ${formatBytes(media.sizeBytes)} · sha256 ${shortHash(media.sha256)}…`;
}
