import { writable } from 'svelte/store';

export type ToastKind = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

function createToasts() {
  const { subscribe, update } = writable<Toast[]>([]);
  let next = 1;

  function dismiss(id: number) {
    update((list) => list.filter((t) => t.id !== id));
  }

  function push(message: string, kind: ToastKind = 'info', timeoutMs = 5000): number {
    const id = next++;
    update((list) => [...list.slice(-4), { id, kind, message }]);
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs);
    return id;
  }

  return {
    subscribe,
    dismiss,
    info: (m: string) => push(m, 'info'),
    success: (m: string) => push(m, 'success'),
    error: (m: string) => push(m, 'error', 8000),
  };
}

export const toasts = createToasts();
