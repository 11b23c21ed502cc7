import {
  createLocalAudioTrack,
  createLocalVideoTrack,
  Room,
  type LocalAudioTrack,
  type LocalVideoTrack,
} from 'livekit-client';

/** Pre-join helpers: device lists, camera preview and a microphone level meter. */

export interface DeviceLists {
  audioInputs: MediaDeviceInfo[];
  videoInputs: MediaDeviceInfo[];
  audioOutputs: MediaDeviceInfo[];
}

export function mediaDevicesAvailable(): boolean {
  return typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

export async function listDevices(): Promise<DeviceLists> {
  const [audioInputs, videoInputs, audioOutputs] = await Promise.all([
    Room.getLocalDevices('audioinput', false).catch(() => []),
    Room.getLocalDevices('videoinput', false).catch(() => []),
    Room.getLocalDevices('audiooutput', false).catch(() => []),
  ]);
  const usable = (list: MediaDeviceInfo[]) => list.filter((d) => d.deviceId);
  return { audioInputs: usable(audioInputs), videoInputs: usable(videoInputs), audioOutputs: usable(audioOutputs) };
}

export function startCameraPreview(deviceId?: string): Promise<LocalVideoTrack> {
  return createLocalVideoTrack({ deviceId: deviceId || undefined, facingMode: 'user' });
}

export function startMicPreview(deviceId?: string): Promise<LocalAudioTrack> {
  return createLocalAudioTrack({ deviceId: deviceId || undefined, echoCancellation: true, noiseSuppression: true });
}

/**
 * Calls `onLevel` (0…1) about 20 times a second with the RMS level of the
 * track. Returns a stop function.
 */
export function watchLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const Ctx = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctx) return () => undefined;
  const ctx = new Ctx();
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    const rms = Math.sqrt(sum / data.length);
    onLevel(Math.min(1, rms * 4));
  }, 50);
  void ctx.resume().catch(() => undefined);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void ctx.close().catch(() => undefined);
  };
}
