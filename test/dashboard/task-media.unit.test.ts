import { describe, expect, it } from 'vitest';
import { formatBytes, mediaLine, shortHash } from '../../dashboard/src/lib/tasks/media.js';
import { eventSummary } from '../../dashboard/src/lib/tasks/timeline.js';

describe('Task detail: an MMS media', () => {
  it('given a fetched image, then its type, size and the start of its SHA-256', () => {
    expect(mediaLine({ index: 0, contentType: 'image/jpeg', sizeBytes: 1_234, sha256: 'ab'.repeat(32) })).toBe(
      'image/jpeg · 1.2 KB · sha256 abababababab…',
    );
  });

  it('given media the AI never saw (a PDF), then "not fetched"', () => {
    expect(mediaLine({ index: 1, contentType: 'application/pdf' })).toBe('application/pdf · not fetched');
  });

  it('sizes in B, KB and MB; a missing hash as a dash', () => {
    expect([formatBytes(512), formatBytes(5 * 1024 * 1024), formatBytes(undefined)]).toEqual(['512 B', '5.0 MB', '—']);
    expect(shortHash(undefined)).toBe('—');
  });

  it('the timeline sums up MediaFetched by its count', () => {
    expect(eventSummary({ type: 'MediaFetched', data: { media: [{}, {}] } })).toBe('2 media fetched');
  });
});
