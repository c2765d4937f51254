/* Session recording and replay with byte-exact cut and stall faults. */
export { startReplayServer, replayServerLength } from './replay-server.js';
export { startSessionRecorder } from './session-recorder.js';
export type {
  ReplayFault,
  ReplayRecording,
  ReplayServer,
  ReplayServerOptions,
  ReplaySessionInfo,
  ReplayStep,
  SessionRecorder,
  SessionRecorderOptions,
} from './replay-types.js';
