/** Room-name rules of API §5.1: trimmed, lowercased, `^[a-z0-9]+(-[a-z0-9]+)*$`, 3–63 bytes. */
export const ROOM_NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const ROOM_NAME_MIN = 3;
export const ROOM_NAME_MAX = 63;

export function normalizeRoomName(input: string): string {
  return input.trim().toLowerCase();
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * Validates a room name the way the server does. Returns `null` when valid,
 * else the server's own error message. The input is normalised first.
 */
export function roomNameError(input: string): string | null {
  const name = normalizeRoomName(input);
  const len = byteLength(name);
  if (len < ROOM_NAME_MIN) return 'room name must be at least 3 characters';
  if (len > ROOM_NAME_MAX) return 'room name must be at most 63 characters';
  if (!ROOM_NAME_PATTERN.test(name)) {
    return 'room name must contain only lowercase letters, numbers, and hyphens';
  }
  return null;
}

export function isValidRoomName(input: string): boolean {
  return roomNameError(input) === null;
}

/**
 * Extracts a room name from what a user typed on the home page: a bare name,
 * a path such as `/m/abc-defg-hij`, or a full invite link. Returns `null` when
 * nothing usable is found.
 */
export function parseJoinInput(input: string): string | null {
  const raw = input.trim();
  if (!raw) return null;
  let candidate = raw;
  const pathMatch = /(?:^|\/)m\/([^/?#\s]+)/i.exec(raw);
  if (pathMatch) {
    candidate = pathMatch[1];
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    return null; // a link, but not a meeting link
  }
  try {
    candidate = decodeURIComponent(candidate);
  } catch {
    return null;
  }
  const name = normalizeRoomName(candidate);
  return isValidRoomName(name) ? name : null;
}

/** The shareable invite link of a room. */
export function inviteLink(name: string, origin: string = globalThis.location?.origin ?? ''): string {
  return `${origin}/m/${encodeURIComponent(name)}`;
}
