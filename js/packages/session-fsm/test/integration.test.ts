/**
 * The multi-session problems of agents-js 1.9, on real Room, JobContext and AgentSession objects
 * (offline): each scenario once on bare agents-js, asserting the failure, and once through the
 * coordinator, asserting the room's handlers and the job's designation are right.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { RoomEvent } from "@livekit/rtc-node";

import { SessionCoordinator, type RecordingExportResult, type RecordingInfo } from "../src/index.ts";
import {
  PRIMARY_TAKEN,
  TOPIC_TAKEN,
  agent,
  chatHandler,
  hostHandler,
  inJob,
  jobPrimary,
  offlineJob,
  offlineRoom,
  runJobShutdown,
  runSessionEnd,
  session,
} from "./offline.ts";

describe("two sessions on one Room, no job", () => {
  test("bare agents-js: the second start throws on lk.agent.session", async () => {
    const room = offlineRoom();
    const [a, b] = [session(), session()];
    await a.start({ agent: agent(), room });
    await assert.rejects(b.start({ agent: agent(), room }), TOPIC_TAKEN);
    await a.close();
    await b.close();
  });

  test("with the coordinator: primary and secondary, one host, then nothing left", async () => {
    const room = offlineRoom();
    const coord = SessionCoordinator.forRoom(room);
    const [a, b] = [session(), session()];
    assert.equal(await coord.start(a, agent(), { name: "a" }), "primary");
    assert.equal(await coord.start(b, agent(), { name: "b" }), "secondary");
    assert.ok(hostHandler(room), "the primary hosts lk.agent.session");
    assert.ok(chatHandler(room), "the primary has lk.chat");
    assert.equal(coord.primary, a);
    assert.equal(await coord.close(b), "closed");
    assert.equal(await coord.close(a), "closed");
    assert.equal(hostHandler(room), undefined);
    assert.equal(chatHandler(room), undefined);
    assert.equal(coord.ownership, "vacant");
  });
});

describe("a voice agent and transcribers in one job", () => {
  test("bare agents-js: the transcriber throws on lk.agent.session, even with record: false", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    await inJob(ctx, async () => {
      const [voice, transcriber] = [session(), session()];
      await voice.start({ agent: agent(), room, record: false });
      await assert.rejects(transcriber.start({ agent: agent(), room, record: false }), TOPIC_TAKEN);
      await voice.close();
      await transcriber.close();
    });
  });

  test("with the coordinator: one primary, two secondaries, all closed at job shutdown", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    assert.equal(SessionCoordinator.forJob(ctx), coord, "one coordinator per job");
    const [voice, t1, t2] = [session(), session(), session()];
    await inJob(ctx, async () => {
      assert.equal(await coord.start(voice, agent(), { name: "voice" }), "primary");
      assert.equal(await coord.start(t1, agent(), { role: "secondary", name: "t1" }), "secondary");
      assert.equal(await coord.start(t2, agent(), { role: "secondary", name: "t2" }), "secondary");
    });
    assert.equal(jobPrimary(ctx), voice, "only the voice session is the job's primary");
    assert.ok(hostHandler(room));
    await runJobShutdown(ctx);
    for (const s of [voice, t1, t2]) assert.equal(coord.state(s), "closed");
    assert.equal(jobPrimary(ctx), undefined, "the designation is released");
    assert.equal(hostHandler(room), undefined);
    assert.equal(chatHandler(room), undefined);
  });
});

describe("a transcriber started before the voice agent, in one job", () => {
  test("bare agents-js: the listen-only transcriber takes the primary; the voice agent cannot record", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    await inJob(ctx, async () => {
      const [transcriber, voice] = [session(), session()];
      await transcriber.start({ agent: agent(), room, record: false });
      assert.equal(jobPrimary(ctx), transcriber);
      await transcriber.close();
      await assert.rejects(voice.start({ agent: agent(), room, record: true }), PRIMARY_TAKEN);
      await voice.close();
    });
  });

  test("with the coordinator: the secondary leaves the designation free for the voice agent", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [transcriber, voice] = [session(), session()];
    await inJob(ctx, async () => {
      assert.equal(await coord.start(transcriber, agent(), { role: "secondary" }), "secondary");
      assert.equal(jobPrimary(ctx), undefined);
      assert.equal(hostHandler(room), undefined, "a secondary does not host");
      assert.equal(await coord.start(voice, agent(), { record: true }), "primary");
      assert.equal(jobPrimary(ctx), voice);
      assert.ok(hostHandler(room));
    });
    await runJobShutdown(ctx);
    assert.equal(jobPrimary(ctx), undefined);
  });
});

describe("record: false, then record: true, in one job", () => {
  test("bare agents-js: the closed first session stays primary; the second start throws", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    await inJob(ctx, async () => {
      const first = session();
      await first.start({ agent: agent(), room, record: false });
      await first.close();
      assert.equal(jobPrimary(ctx), first, "never released");
      const second = session();
      await assert.rejects(second.start({ agent: agent(), room, record: true }), PRIMARY_TAKEN);
      await second.close();
    });
  });

  test("with the coordinator: the designation is released at close; the second records", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    await inJob(ctx, async () => {
      const first = session();
      assert.equal(await coord.start(first, agent(), { record: false }), "primary");
      assert.equal(await coord.close(first), "closed");
      assert.equal(jobPrimary(ctx), undefined);
      const second = session();
      assert.equal(await coord.start(second, agent(), { record: true }), "primary");
      assert.equal(jobPrimary(ctx), second);
      assert.equal(coord.scope.session(coord.name(second)).record, true);
      await coord.close(second);
    });
    assert.equal(jobPrimary(ctx), undefined);
  });
});

describe("sequential recording primaries", () => {
  test("with the coordinator: each primary records to a file of its own", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room, { enableRecording: true });
    const coord = SessionCoordinator.forJob(ctx);
    const base = ctx.sessionDirectory;
    const [first, second] = [session(), session()];
    await inJob(ctx, async () => {
      assert.equal(await coord.start(first, agent(), { name: "first" }), "primary");
      await coord.close(first);
      assert.equal(await coord.start(second, agent(), { name: "second" }), "primary");
      await coord.close(second);
    });
    const paths = [coord.recordingPath(first), coord.recordingPath(second)];
    assert.deepEqual(paths, [
      join(base, "recordings", "0001-first", "audio.ogg"),
      join(base, "recordings", "0002-second", "audio.ogg"),
    ]);
    for (const path of paths) assert.equal(readFileSync(path as string).subarray(0, 4).toString("latin1"), "OggS");
    assert.equal(ctx.sessionDirectory, base, "the job's session directory is put back");
  });
});

describe("recording exporters", () => {
  test("run after the recording is finished; a failing one keeps the others' results", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room, { enableRecording: true });
    const coord = SessionCoordinator.forJob(ctx);
    const seen: RecordingInfo[] = [];
    const collect = (info: RecordingInfo): RecordingExportResult => {
      seen.push(info);
      assert.equal(readFileSync(info.path).subarray(0, 4).toString("latin1"), "OggS", "finished when exported");
      return { id: "kept" };
    };
    const broken = { name: "broken", export: async (): Promise<RecordingExportResult> => Promise.reject(new Error("disk full")) };
    const a = session();
    await inJob(ctx, async () => {
      await coord.start(a, agent(), { name: "a", exporters: [collect, broken] });
      assert.deepEqual(coord.exports(a), [], "nothing exported while recording");
      await coord.close(a);
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.path, coord.recordingPath(a));
    assert.equal(seen[0]?.sessionId, "a#1");
    assert.ok((seen[0]?.bytes ?? 0) > 0);
    assert.deepEqual(
      coord.exports(a).map((o) => [o.exporter, o.id, o.error]),
      [
        ["collect", "kept", null],
        ["broken", null, "disk full"],
      ],
    );
  });

  test("refused where nothing will be recorded, with the Python codes", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const exporters = [(): RecordingExportResult => ({})];
    const [a, b] = [session(), session()];
    await inJob(ctx, async () => {
      await assert.rejects(coord.start(a, agent(), { exporters }), (e: Error & { code?: string }) => e.code === "exporter_requires_recording");
      await coord.start(a, agent());
      await assert.rejects(coord.start(b, agent(), { exporters }), (e: Error & { code?: string }) => e.code === "exporter_requires_primary");
    });
    await runJobShutdown(ctx);
  });
});

describe("the end-of-job report covers the last primary", () => {
  test("bare agents-js: sessions one after another, the report covers the first", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const [first, second] = [session(), session()];
    await inJob(ctx, async () => {
      await first.start({ agent: agent(), room, record: false });
      await first.close();
      await second.start({ agent: agent(), room, record: false });
      await second.close();
    });
    assert.deepEqual(await runSessionEnd(ctx), [first]);
  });

  test("with the coordinator: the report covers the last primary, then the designation is free", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [first, second] = [session(), session()];
    await inJob(ctx, async () => {
      await coord.start(first, agent());
      await coord.close(first);
      await coord.start(second, agent());
      await coord.close(second);
    });
    assert.equal(jobPrimary(ctx), undefined);
    assert.deepEqual(await runSessionEnd(ctx), [second]);
    assert.equal(jobPrimary(ctx), undefined);
  });
});

describe("a secondary's close keeps the owner's handlers", () => {
  test("bare agents-js: the secondary cannot even start beside the owner", async () => {
    const room = offlineRoom();
    const [owner, other] = [session(), session()];
    await owner.start({ agent: agent(), room });
    const handler = hostHandler(room);
    await assert.rejects(other.start({ agent: agent(), room }), TOPIC_TAKEN);
    await other.close();
    assert.equal(hostHandler(room), handler);
    await owner.close();
  });

  test("with the coordinator: the owner's lk.agent.session and lk.chat handlers survive", async () => {
    const room = offlineRoom();
    const coord = SessionCoordinator.forRoom(room);
    const [owner, other] = [session(), session()];
    await coord.start(owner, agent());
    const [host, chat] = [hostHandler(room), chatHandler(room)];
    assert.equal(await coord.start(other, agent()), "secondary");
    assert.equal(await coord.close(other), "closed");
    assert.ok(host);
    assert.equal(hostHandler(room), host, "the owner's host handler is still registered");
    assert.equal(chatHandler(room), chat, "the owner's chat handler is still registered");
    await coord.close(owner);
  });

  test("with the coordinator: after the owner closes, a promoted secondary hosts", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [owner, other] = [session(), session()];
    await inJob(ctx, async () => {
      await coord.start(owner, agent());
      await coord.start(other, agent());
      await assert.rejects(coord.promote(other), (e: Error & { code?: string }) => e.code === "primary_conflict");
      await coord.close(owner);
      assert.equal(hostHandler(room), undefined);
      assert.equal(await coord.promote(other), "primary");
    });
    assert.equal(jobPrimary(ctx), other);
    assert.ok(hostHandler(room));
    await runJobShutdown(ctx);
    assert.equal(hostHandler(room), undefined);
    assert.equal(jobPrimary(ctx), undefined);
  });
});

describe("refusals come from the table, state unchanged", () => {
  test("record: true on a secondary is refused with the Python code", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [a, b] = [session(), session()];
    await inJob(ctx, async () => {
      await coord.start(a, agent());
      await assert.rejects(
        coord.start(b, agent(), { record: true }),
        (e: Error & { code?: string }) => e.code === "recording_requires_primary",
      );
      assert.equal(coord.manages(b), false, "a refused session is left as it was");
      assert.equal(coord.scope.sessions().size, 1);
    });
    await runJobShutdown(ctx);
  });
});

describe("the runtime around the core, on real objects", () => {
  test("a start whose host topic is taken outside fails and gives back what it took", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const outside = (): void => undefined;
    room.registerByteStreamHandler("lk.agent.session", outside);
    const a = session();
    await inJob(ctx, async () => {
      await assert.rejects(coord.start(a, agent()), (e: Error & { code?: string }) => e.code === "start_failed");
    });
    assert.equal(coord.state(a), "closed");
    assert.equal(coord.ownership, "vacant");
    assert.equal(jobPrimary(ctx), undefined, "the claim was undone");
    assert.equal(hostHandler(room), outside, "the outside handler is untouched");
    assert.equal(chatHandler(room), undefined, "the failed session's chat handler is gone");
    room.unregisterByteStreamHandler("lk.agent.session");
    const b = session();
    await inJob(ctx, async () => assert.equal(await coord.start(b, agent()), "primary"));
    assert.ok(chatHandler(room), "the next session gets lk.chat");
    coord.forget(a);
    assert.equal(coord.manages(a), false);
    await runJobShutdown(ctx);
  });

  test("a primary start while the holder closes waits, then is granted the scope", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [a, b] = [session(), session()];
    await inJob(ctx, async () => {
      await coord.start(a, agent(), { name: "a" });
      const closing = coord.close(a);
      assert.equal(coord.ownership, "releasing");
      const starting = coord.start(b, agent(), { name: "b", role: "primary" });
      assert.equal(coord.scope.waiter, "b");
      assert.deepEqual(await Promise.all([closing, starting]), ["closed", "primary"]);
    });
    assert.equal(jobPrimary(ctx), b);
    assert.ok(hostHandler(room));
    await runJobShutdown(ctx);
    assert.equal(hostHandler(room), undefined);
  });

  test("a close that arrives while starting closes the session once it has started", async () => {
    const room = offlineRoom();
    const coord = SessionCoordinator.forRoom(room);
    const a = session();
    const starting = coord.start(a, agent());
    const closing = coord.close(a);
    assert.deepEqual(await Promise.all([starting, closing]), ["closed", "closed"]);
    assert.equal(hostHandler(room), undefined);
    assert.equal(chatHandler(room), undefined);
    assert.equal(coord.ownership, "vacant");
  });

  test("drain lets the primary finish, then a close releases everything it held", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const a = session();
    await inJob(ctx, async () => {
      await coord.start(a, agent());
      assert.equal(await coord.drain(a), "draining");
      assert.equal(await coord.close(a), "closed");
    });
    assert.equal(jobPrimary(ctx), undefined);
    assert.equal(hostHandler(room), undefined);
    assert.equal(chatHandler(room), undefined);
    assert.equal(coord.ownership, "vacant");
  });

  test("perParticipant listens to the room until closed (offline: no participant joins)", async () => {
    const room = offlineRoom();
    const coord = SessionCoordinator.forRoom(room);
    const before = room.listenerCount(RoomEvent.ParticipantConnected);
    let made = 0;
    const fanout = coord.perParticipant(() => {
      made += 1;
      return { session: session(), agent: agent() };
    });
    assert.equal(room.listenerCount(RoomEvent.ParticipantConnected), before + 1);
    assert.equal(room.listenerCount(RoomEvent.ParticipantDisconnected) > 0, true);
    await fanout.close();
    assert.equal(room.listenerCount(RoomEvent.ParticipantConnected), before);
    assert.equal(made, 0);
    assert.equal(fanout.sessions.size, 0);
  });

  test("a promotion while the holder closes waits and is granted; a start that waits too long gives up", async () => {
    const room = offlineRoom();
    const ctx = offlineJob(room);
    const coord = SessionCoordinator.forJob(ctx);
    const [a, b, c] = [session(), session(), session()];
    await inJob(ctx, async () => {
      await coord.start(a, agent(), { name: "a" });
      await coord.start(b, agent(), { name: "b" });
      const closing = coord.close(a);
      const promoting = coord.promote(b);
      assert.equal(coord.scope.waiter, "b");
      await assert.rejects(
        coord.start(c, agent(), { name: "c", role: "primary", claimTimeoutMs: 1 }),
        (e: Error & { code?: string }) => e.code === "primary_conflict",
        "one start waits at a time: the next one asking for the primary is refused",
      );
      assert.deepEqual(await Promise.all([closing, promoting]), ["closed", "primary"]);
      const closingB = coord.close(b);
      await assert.rejects(
        coord.start(c, agent(), { name: "c", role: "primary", claimTimeoutMs: 1 }),
        (e: Error & { code?: string }) => e.code === "claim_timeout",
      );
      assert.equal(coord.state(c), "closed");
      await closingB;
    });
    assert.equal(coord.ownership, "vacant");
    assert.equal(jobPrimary(ctx), undefined);
    assert.equal(hostHandler(room), undefined);
  });
});
