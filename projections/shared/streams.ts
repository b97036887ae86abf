/** `sms-SM123` -> `SM123` when the stream is of that category, else undefined. */
export function streamId(streamName: string, category: 'sms' | 'user' | 'broadcast'): string | undefined {
  const prefix = `${category}-`;
  return streamName.startsWith(prefix) ? streamName.slice(prefix.length) : undefined;
}
