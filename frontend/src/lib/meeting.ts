import {
  ConnectionError,
  DisconnectReason,
  Participant,
  ParticipantEvent,
  RemoteTrack,
  Room,
  RoomEvent,
  Track,
  type LocalParticipant,
  type RemoteParticipant,
  type TrackPublication,
} from 'livekit-client';
import { writable, type Readable } from 'svelte/store';
import type { RoomMode, RoomSettings } from '../api/types';
import { CHAT_MAX_LENGTH, CHAT_TOPIC, decodeChat, decodeSystem, encodeChat, makeChatMessage, type ChatMessage } from './chat';
import { parseParticipantMetadata, type ParticipantMeta } from './roles';

/** A thin, UI-agnostic wrapper around a livekit-client Room. */

export const MEDIA_UNREACHABLE =
  "We couldn't reach the media server. It may still be starting up, or your network may be blocking it. Please try again in a moment.";

export type MeetingPhase = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
export type EndKind = 'left' | 'removed' | 'banned' | 'ended' | 'duplicate' | 'lost' | 'error';

export interface ParticipantView {
  identity: string;
  name: string;
  isLocal: boolean;
  isSpeaking: boolean;
  micOn: boolean;
  cameraOn: boolean;
  screenOn: boolean;
  cameraTrack: Track | null;
  screenTrack: Track | null;
  meta: ParticipantMeta;
  isSuperadmin: boolean;
  joinedAt: number;
}

export interface MeetingState {
  phase: MeetingPhase;
  participants: ParticipantView[];
  activeSpeaker: string | null;
  micOn: boolean;
  cameraOn: boolean;
  screenOn: boolean;
  canPublishAudio: boolean;
  canPublishVideo: boolean;
  canChat: boolean;
  messages: ChatMessage[];
  audioBlocked: boolean;
  endKind: EndKind | null;
  endMessage: string | null;
  /** A non-fatal problem to show (device failure, chat send failure). */
  notice: string | null;
}

export interface JoinInfo {
  url: string;
  token: string;
  roomName: string;
  roomId: string;
  adminId?: string;
  mode?: RoomMode;
  settings?: RoomSettings;
}

export interface DeviceChoice {
  audioInput?: string;
  videoInput?: string;
  audioOutput?: string;
}

/** What the pre-join screen hands to the call. */
export interface PreJoinChoice {
  name: string;
  mic: boolean;
  camera: boolean;
  devices: DeviceChoice;
}

/** LiveKit TrackSource numbers (protocol enum) used in canPublishSources. */
const SOURCE_CAMERA = 1;
const SOURCE_MICROPHONE = 2;

const MAX_MESSAGES = 500;

/**
 * How long joining the media server may take in all before the meeting gives up and says
 * why. livekit-client's own timeouts apply per step (signal, then peer connection), and a
 * server that accepts the WebSocket but never answers properly must not leave the user
 * looking at "Connecting…" forever.
 */
export const CONNECT_TIMEOUT_MS = 20_000;
/** livekit-client's signalling (WebSocket) timeout, per attempt. */
const SIGNAL_TIMEOUT_MS = 10_000;
/** livekit-client's peer-connection timeout, per attempt. */
const PEER_CONNECTION_TIMEOUT_MS = 15_000;

/** The whole connect took longer than allowed. */
export class ConnectTimeoutError extends Error {
  constructor(ms: number) {
    super(`connecting to the media server timed out after ${ms} ms`);
    this.name = 'ConnectTimeoutError';
  }
}

/** `promise`, or a ConnectTimeoutError when it has not settled within `ms`. */
export function withConnectTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface MeetingOptions {
  /** Overall connect deadline (default CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
}

function initialState(): MeetingState {
  return {
    phase: 'idle',
    participants: [],
    activeSpeaker: null,
    micOn: false,
    cameraOn: false,
    screenOn: false,
    canPublishAudio: false,
    canPublishVideo: false,
    canChat: false,
    messages: [],
    audioBlocked: false,
    endKind: null,
    endMessage: null,
    notice: null,
  };
}

/** Friendly text for a failed connect. */
export function connectErrorMessage(err: unknown): string {
  if (err instanceof ConnectionError) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403) {
      return 'The media server did not accept your meeting pass. Please try joining again.';
    }
    return MEDIA_UNREACHABLE;
  }
  if (err instanceof Error && /websocket|fetch|network|timeout|could not establish/i.test(err.message)) {
    return MEDIA_UNREACHABLE;
  }
  return MEDIA_UNREACHABLE;
}

export function deviceErrorMessage(err: unknown, what: 'camera' | 'microphone' | 'screen'): string {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  if (what === 'screen' && name === 'NotAllowedError') return 'Screen sharing was cancelled.';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return `Access to your ${what} was blocked. Allow it in your browser's site settings and try again.`;
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found.`;
  if (name === 'NotReadableError') return `Your ${what} is in use by another application.`;
  return `Could not start your ${what}.`;
}

function disconnectText(reason: DisconnectReason | undefined): { kind: EndKind; message: string } {
  switch (reason) {
    case DisconnectReason.CLIENT_INITIATED:
      return { kind: 'left', message: 'You left the meeting.' };
    case DisconnectReason.PARTICIPANT_REMOVED:
      return { kind: 'removed', message: 'You were removed from the meeting.' };
    case DisconnectReason.ROOM_DELETED:
      return { kind: 'ended', message: 'The meeting has ended.' };
    case DisconnectReason.DUPLICATE_IDENTITY:
      return { kind: 'duplicate', message: 'You joined this meeting from another tab or device.' };
    case DisconnectReason.SERVER_SHUTDOWN:
      return { kind: 'lost', message: 'The media server restarted. You can rejoin.' };
    default:
      return { kind: 'lost', message: 'The connection to the meeting was lost.' };
  }
}

export class Meeting {
  readonly info: JoinInfo;
  readonly room: Room;
  private readonly store = writable<MeetingState>(initialState());
  private current: MeetingState = initialState();
  private pendingEnd: { kind: EndKind; message: string } | null = null;
  private scheduled = false;
  private lastSpeaker: string | null = null;
  private audioContainer: HTMLElement | null = null;
  private readonly connectTimeoutMs: number;
  private connectAttempt = 0;

  constructor(info: JoinInfo, devices: DeviceChoice = {}, options: MeetingOptions = {}) {
    this.info = info;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.room = new Room({
      adaptiveStream: true,
      dynacast: true,
      audioCaptureDefaults: {
        deviceId: devices.audioInput || undefined,
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
      videoCaptureDefaults: { deviceId: devices.videoInput || undefined },
      audioOutput: devices.audioOutput ? { deviceId: devices.audioOutput } : undefined,
    });
    this.wire();
  }

  get state(): Readable<MeetingState> {
    return { subscribe: this.store.subscribe };
  }

  /** Where remote audio elements go (hidden). */
  setAudioContainer(el: HTMLElement | null): void {
    this.audioContainer = el;
  }

  private patch(p: Partial<MeetingState>): void {
    this.current = { ...this.current, ...p };
    this.store.set(this.current);
  }

  /** Coalesces bursts of LiveKit events into one snapshot per microtask. */
  private refresh = (): void => {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.snapshot();
    });
  };

  private snapshot(): void {
    const room = this.room;
    const lp = room.localParticipant;
    const all: Participant[] = [lp, ...room.remoteParticipants.values()];
    const participants = all.map((p) => this.view(p));
    const speakers = room.activeSpeakers.filter((p) => p.identity !== lp.identity || all.length === 1);
    let active = speakers[0]?.identity ?? null;
    if (!active && this.lastSpeaker && participants.some((p) => p.identity === this.lastSpeaker)) {
      active = this.lastSpeaker;
    }
    this.lastSpeaker = active;
    const perm = lp.permissions;
    const sources = perm?.canPublishSources ?? [];
    const canPublish = perm ? perm.canPublish : true;
    const allows = (src: number) => canPublish && (sources.length === 0 || sources.includes(src));
    this.patch({
      participants,
      activeSpeaker: active,
      micOn: lp.isMicrophoneEnabled,
      cameraOn: lp.isCameraEnabled,
      screenOn: lp.isScreenShareEnabled,
      canPublishAudio: allows(SOURCE_MICROPHONE) && this.info.settings?.allowAudio !== false,
      canPublishVideo: allows(SOURCE_CAMERA) && this.info.settings?.allowVideo !== false,
      canChat: (perm ? perm.canPublishData : true) && this.info.settings?.allowChat !== false,
      audioBlocked: !room.canPlaybackAudio,
    });
  }

  private view(p: Participant): ParticipantView {
    const cam = p.getTrackPublication(Track.Source.Camera);
    const mic = p.getTrackPublication(Track.Source.Microphone);
    const screen = p.getTrackPublication(Track.Source.ScreenShare);
    const live = (pub: TrackPublication | undefined) => !!pub && !pub.isMuted && !!pub.track;
    const meta = parseParticipantMetadata(p.metadata);
    if (this.info.adminId && p.identity === this.info.adminId && meta.roomRole === 'participant') {
      meta.roomRole = 'admin';
    }
    return {
      identity: p.identity,
      name: p.name || p.identity,
      isLocal: p === this.room.localParticipant,
      isSpeaking: p.isSpeaking,
      micOn: !!mic && !mic.isMuted,
      cameraOn: live(cam),
      screenOn: live(screen),
      cameraTrack: live(cam) ? (cam!.track ?? null) : null,
      screenTrack: live(screen) ? (screen!.track ?? null) : null,
      meta,
      isSuperadmin: meta.accesses.includes('superadmin'),
      joinedAt: p.joinedAt?.getTime() ?? 0,
    };
  }

  private wire(): void {
    const room = this.room;
    const r = this.refresh;
    room
      .on(RoomEvent.ParticipantConnected, r)
      .on(RoomEvent.ParticipantDisconnected, r)
      .on(RoomEvent.TrackPublished, r)
      .on(RoomEvent.TrackUnpublished, r)
      .on(RoomEvent.TrackMuted, r)
      .on(RoomEvent.TrackUnmuted, r)
      .on(RoomEvent.LocalTrackPublished, r)
      .on(RoomEvent.LocalTrackUnpublished, r)
      .on(RoomEvent.ActiveSpeakersChanged, r)
      .on(RoomEvent.ParticipantMetadataChanged, r)
      .on(RoomEvent.ParticipantNameChanged, r)
      .on(RoomEvent.ParticipantPermissionsChanged, r)
      .on(RoomEvent.AudioPlaybackStatusChanged, r)
      .on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
        if (track.kind === Track.Kind.Audio) this.attachAudio(track);
        r();
      })
      .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
        if (track.kind === Track.Kind.Audio) track.detach().forEach((el) => el.remove());
        r();
      })
      .on(RoomEvent.Reconnecting, () => this.patch({ phase: 'reconnecting' }))
      .on(RoomEvent.SignalReconnecting, () => this.patch({ phase: 'reconnecting' }))
      .on(RoomEvent.Reconnected, () => {
        this.patch({ phase: 'connected' });
        r();
      })
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        const end = this.pendingEnd ?? disconnectText(reason);
        this.pendingEnd = null;
        this.detachAllAudio();
        this.patch({ phase: 'disconnected', endKind: end.kind, endMessage: end.message, screenOn: false });
      })
      .on(RoomEvent.MediaDevicesError, (err: Error, kind?: MediaDeviceKind) =>
        this.patch({ notice: deviceErrorMessage(err, kind === 'videoinput' ? 'camera' : 'microphone') }),
      )
      .on(RoomEvent.DataReceived, (payload, participant, _kind, topic) => this.onData(payload, participant, topic));

    room.localParticipant.on(ParticipantEvent.IsSpeakingChanged, r);
  }

  private attachAudio(track: RemoteTrack): void {
    const el = track.attach();
    el.setAttribute('aria-hidden', 'true');
    (this.audioContainer ?? document.body).appendChild(el);
  }

  private detachAllAudio(): void {
    for (const p of this.room.remoteParticipants.values()) {
      for (const pub of p.audioTrackPublications.values()) pub.track?.detach().forEach((el) => el.remove());
    }
  }

  private onData(payload: Uint8Array, participant: RemoteParticipant | undefined, topic: string | undefined): void {
    const system = decodeSystem(payload, topic);
    if (system) {
      const me = this.room.localParticipant.identity;
      if ((system.event === 'kick' || system.event === 'ban') && system.target === me) {
        this.pendingEnd =
          system.event === 'ban'
            ? { kind: 'banned', message: 'You were banned from this room by a moderator.' }
            : { kind: 'removed', message: 'You were removed from the meeting by a moderator.' };
      } else if (system.event === 'room_ended' || system.event === 'room_closed') {
        this.pendingEnd = { kind: 'ended', message: system.message || 'The meeting has ended.' };
      }
      return;
    }
    const sender = participant ? { identity: participant.identity, name: participant.name } : undefined;
    const msg = decodeChat(payload, topic, sender);
    if (msg) this.addMessage(msg);
  }

  private addMessage(msg: ChatMessage): void {
    if (this.current.messages.some((m) => m.id === msg.id)) return;
    this.patch({ messages: [...this.current.messages, msg].slice(-MAX_MESSAGES) });
  }

  /** Connects, then turns on the devices the user chose (as far as the room allows). */
  async connect(want: { mic: boolean; camera: boolean }): Promise<void> {
    if (!this.info.url) {
      this.patch({ phase: 'disconnected', endKind: 'error', endMessage: 'This server has no media server configured.' });
      throw new Error('This server has no media server configured.');
    }
    this.pendingEnd = null;
    const attempt = ++this.connectAttempt;
    this.patch({ phase: 'connecting', endKind: null, endMessage: null, notice: null });
    try {
      await withConnectTimeout(
        this.room.connect(this.info.url, this.info.token, {
          autoSubscribe: true,
          websocketTimeout: SIGNAL_TIMEOUT_MS,
          peerConnectionTimeout: PEER_CONNECTION_TIMEOUT_MS,
        }),
        this.connectTimeoutMs,
      );
    } catch (err) {
      const message = connectErrorMessage(err);
      if (attempt === this.connectAttempt) {
        if (err instanceof ConnectTimeoutError) {
          // Give up on the attempt; its Disconnected event then reports this failure.
          this.pendingEnd = { kind: 'error', message };
          void this.room.disconnect(true).catch(() => undefined);
        }
        this.patch({ phase: 'disconnected', endKind: 'error', endMessage: message });
      }
      throw new Error(message);
    }
    if (attempt !== this.connectAttempt) return;
    this.patch({ phase: 'connected' });
    this.snapshot();
    if (want.mic && this.current.canPublishAudio) await this.setMic(true);
    if (want.camera && this.current.canPublishVideo) await this.setCamera(true);
    this.snapshot();
  }

  /** Rejoins with a fresh LiveKit token after a disconnect. */
  async rejoin(token: string, want: { mic: boolean; camera: boolean }): Promise<void> {
    this.info.token = token;
    await this.connect(want);
  }

  async setMic(on: boolean): Promise<void> {
    try {
      await this.room.localParticipant.setMicrophoneEnabled(on);
    } catch (err) {
      this.patch({ notice: deviceErrorMessage(err, 'microphone') });
    }
    this.refresh();
  }

  async setCamera(on: boolean): Promise<void> {
    try {
      await this.room.localParticipant.setCameraEnabled(on);
    } catch (err) {
      this.patch({ notice: deviceErrorMessage(err, 'camera') });
    }
    this.refresh();
  }

  async setScreenShare(on: boolean): Promise<void> {
    try {
      await this.room.localParticipant.setScreenShareEnabled(on, { audio: true, selfBrowserSurface: 'exclude' });
    } catch (err) {
      this.patch({ notice: deviceErrorMessage(err, 'screen') });
    }
    this.refresh();
  }

  toggleMic(): Promise<void> {
    return this.setMic(!this.room.localParticipant.isMicrophoneEnabled);
  }

  toggleCamera(): Promise<void> {
    return this.setCamera(!this.room.localParticipant.isCameraEnabled);
  }

  toggleScreenShare(): Promise<void> {
    return this.setScreenShare(!this.room.localParticipant.isScreenShareEnabled);
  }

  async switchDevice(kind: MediaDeviceKind, deviceId: string): Promise<void> {
    try {
      await this.room.switchActiveDevice(kind, deviceId);
    } catch (err) {
      this.patch({ notice: deviceErrorMessage(err, kind === 'videoinput' ? 'camera' : 'microphone') });
    }
  }

  async sendChat(text: string): Promise<boolean> {
    const trimmed = text.trim();
    if (!trimmed || trimmed.length > CHAT_MAX_LENGTH || !this.current.canChat) return false;
    const lp: LocalParticipant = this.room.localParticipant;
    const msg = makeChatMessage(trimmed, lp.name || lp.identity, lp.identity);
    try {
      await lp.publishData(encodeChat(msg) as Uint8Array<ArrayBuffer>, { reliable: true, topic: CHAT_TOPIC });
    } catch {
      this.patch({ notice: 'Your message could not be sent.' });
      return false;
    }
    this.addMessage(msg);
    return true;
  }

  async startAudio(): Promise<void> {
    try {
      await this.room.startAudio();
    } finally {
      this.refresh();
    }
  }

  clearNotice(): void {
    this.patch({ notice: null });
  }

  async leave(): Promise<void> {
    this.pendingEnd = { kind: 'left', message: 'You left the meeting.' };
    await this.room.disconnect(true);
  }

  destroy(): void {
    this.room.localParticipant.off(ParticipantEvent.IsSpeakingChanged, this.refresh);
    this.detachAllAudio();
    void this.room.disconnect(true).finally(() => this.room.removeAllListeners());
  }
}
