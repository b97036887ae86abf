import type { UserState } from './state.js';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** The last maxTurns question/answer pairs since the last RESET, oldest first, as chat messages. */
export function conversationHistory(state: UserState, maxTurns: number): ChatMessage[] {
  if (maxTurns <= 0) return [];
  return state.conversation.slice(-maxTurns).flatMap((turn): ChatMessage[] => [
    { role: 'user', content: turn.question },
    { role: 'assistant', content: turn.answer },
  ]);
}
