// @vitest-environment happy-dom
import { get } from 'svelte/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectTimeoutError, Meeting, MEDIA_UNREACHABLE, withConnectTimeout } from '../src/lib/meeting';

const info = { url: 'ws://127.0.0.1:1/livekit', token: 't', roomName: 'abc-defg-hij', roomId: 'r1' };

afterEach(() => {
  vi.useRealTimers();
});

describe('withConnectTimeout', () => {
  it('passes a result through that arrives in time', async () => {
    await expect(withConnectTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
  });

  it('rejects with ConnectTimeoutError when the promise never settles', async () => {
    vi.useFakeTimers();
    const pending = withConnectTimeout(new Promise(() => {}), 500);
    const check = expect(pending).rejects.toBeInstanceOf(ConnectTimeoutError);
    await vi.advanceTimersByTimeAsync(501);
    await check;
  });
});

describe('Meeting.connect', () => {
  it('gives up on a connect that hangs and shows the friendly media-server message', async () => {
    vi.useFakeTimers();
    const meeting = new Meeting(info, {}, { connectTimeoutMs: 1000 });
    const connect = vi.spyOn(meeting.room, 'connect').mockImplementation(() => new Promise(() => {}));
    const disconnect = vi.spyOn(meeting.room, 'disconnect').mockResolvedValue(undefined);

    const result = meeting.connect({ mic: false, camera: false });
    const check = expect(result).rejects.toThrow(MEDIA_UNREACHABLE);
    await vi.advanceTimersByTimeAsync(10);
    expect(get(meeting.state).phase).toBe('connecting');

    await vi.advanceTimersByTimeAsync(1000);
    await check;
    expect(connect).toHaveBeenCalledOnce();
    expect(disconnect).toHaveBeenCalled();
    const state = get(meeting.state);
    expect(state.phase).toBe('disconnected');
    expect(state.endKind).toBe('error');
    expect(state.endMessage).toBe(MEDIA_UNREACHABLE);
  });

  it('reports a failed connect as the media server being unreachable', async () => {
    const meeting = new Meeting(info);
    vi.spyOn(meeting.room, 'connect').mockRejectedValue(new Error('could not establish signal connection'));
    await expect(meeting.connect({ mic: false, camera: false })).rejects.toThrow(MEDIA_UNREACHABLE);
    expect(get(meeting.state)).toMatchObject({ phase: 'disconnected', endKind: 'error', endMessage: MEDIA_UNREACHABLE });
  });
});
