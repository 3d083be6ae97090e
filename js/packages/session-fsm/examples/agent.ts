import { type JobContext, defineAgent, voice } from "@livekit/agents";
import { SessionCoordinator } from "livekit-session-fsm";

export default defineAgent({
  entry: async (ctx: JobContext) => {
    await ctx.connect();
    const coord = SessionCoordinator.forJob(ctx); // closes every session at job shutdown
    await coord.start(new voice.AgentSession({ /* stt, llm, tts, vad */ }), new voice.Agent({ instructions: "Help." }));
    coord.perParticipant(() => ({ session: new voice.AgentSession({ /* stt */ }), agent: new voice.Agent({ instructions: "Transcribe." }) }));
  },
});
