/** OpenAI chat content parts: text, and images for a vision model (base64 data URLs, activities/media.ts). */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export type ChatMessage =
  | { role: 'system' | 'assistant'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] };

/** The words of a message, whether its content is a string or parts. */
export const contentText = (content: ChatMessage['content']): string =>
  typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
