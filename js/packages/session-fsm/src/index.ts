/** The coordinator for @livekit/agents, and the core it drives (also alone in `./core`). */
export * from "./core.ts";
export { SessionCoordinator, ParticipantFanout, type StartOptions, type CoordinatorOptions } from "./coordinator.ts";
export { RoomTopics, HOST_TOPIC, CHAT_TOPIC } from "./adapters/room.ts";
export {
  runExporters,
  type Exporter,
  type ExportFunction,
  type ExportOutcome,
  type RecordingExportResult,
  type RecordingInfo,
} from "./exporters.ts";
