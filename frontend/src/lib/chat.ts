/**
 * Chat over LiveKit data messages, wire-compatible with the other Bedrud
 * clients: reliable packets on topic `chat` carrying
 * `{"type":"chat","id","timestamp","senderName","senderIdentity","message","attachments":[]}`.
 * Server system messages arrive on topic `system` (API §6.2).
 */

export const CHAT_TOPIC = 'chat';
export const SYSTEM_TOPIC = 'system';
/** Keeps every packet far below LiveKit's 64 KiB data limit (no chunking needed). */
export const CHAT_MAX_LENGTH = 4000;

const CHAT_TOPICS = new Set([CHAT_TOPIC, 'lk-chat-topic', 'lk.chat']);

export interface ChatMessage {
  id: string;
  timestamp: number;
  senderName: string;
  senderIdentity: string;
  message: string;
}

export interface SystemEvent {
  event: string;
  actor?: string;
  target?: string;
  message?: string;
}

function randomId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function makeChatMessage(text: string, senderName: string, senderIdentity: string): ChatMessage {
  return {
    id: randomId(),
    timestamp: Date.now(),
    senderName,
    senderIdentity,
    message: text.trim().slice(0, CHAT_MAX_LENGTH),
  };
}

export function encodeChat(msg: ChatMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: 'chat', ...msg, attachments: [] }));
}

function parse(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(payload));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Decodes an incoming chat packet; `null` for anything that is not a complete
 * chat message. The sender identity/name from LiveKit win over the payload's
 * claims when known.
 */
export function decodeChat(
  payload: Uint8Array,
  topic: string | undefined,
  sender?: { identity: string; name?: string },
): ChatMessage | null {
  const v = parse(payload);
  if (!v) return null;
  const isChat = (topic !== undefined && CHAT_TOPICS.has(topic)) || v.type === 'chat';
  if (!isChat || (v.type !== undefined && v.type !== 'chat')) return null;
  const text = typeof v.message === 'string' ? v.message : typeof v.text === 'string' ? v.text : null;
  if (text === null || !text.trim()) return null;
  const claimedIdentity = typeof v.senderIdentity === 'string' ? v.senderIdentity : typeof v.sender === 'string' ? v.sender : '';
  const claimedName = typeof v.senderName === 'string' ? v.senderName : '';
  return {
    id: typeof v.id === 'string' && v.id ? v.id : randomId(),
    timestamp: typeof v.timestamp === 'number' ? v.timestamp : Date.now(),
    senderIdentity: sender?.identity ?? claimedIdentity,
    senderName: sender?.name || claimedName || sender?.identity || claimedIdentity || 'Unknown',
    message: text.slice(0, CHAT_MAX_LENGTH),
  };
}

/** Decodes a server system message (kick, ban, room_ended, room_closed). */
export function decodeSystem(payload: Uint8Array, topic: string | undefined): SystemEvent | null {
  if (topic !== SYSTEM_TOPIC) return null;
  const v = parse(payload);
  if (!v || v.type !== 'system' || typeof v.event !== 'string') return null;
  return {
    event: v.event,
    actor: typeof v.actor === 'string' ? v.actor : undefined,
    target: typeof v.target === 'string' ? v.target : undefined,
    message: typeof v.message === 'string' ? v.message : undefined,
  };
}
