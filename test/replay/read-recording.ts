import t from 'tap';
import {
  DamagedRecordingError,
  InvalidRecordingFrameError,
  NotARecordingError,
  TruncatedRecordingError,
  UnsupportedFormatError,
  UnsupportedProtocolError,
} from '../../controller/replay/errors.js';
import { readRecording } from '../../controller/replay/read-recording.js';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { aggregate } from '../../controller/aggregate/aggregate.js';
import {
  encodeFrame,
  encodeFrames,
  end,
  exec,
  exit,
  facts,
  following,
  fork,
  frameBoundaries,
  hello,
  ms,
  open,
  receiptOf,
  recordingBytes,
  startOf,
  ROOT,
  type Wire,
} from '../helpers/events.js';
import { rebuild } from '../../controller/replay/rebuild.js';

const WIRES: Wire[] = [
  hello(),
  following(),
  exec({ path: '/bin/sh', argv: ['sh', '-c', 'cat x'] }),
  fork({ pid: 77, start: ms(3) }),
  exec({ pid: 77, start: ms(3), path: '/bin/cat', argv: ['cat', 'x'] }),
  open({ pid: 77, start: ms(3), path: 'x', base: '/home/me', err: 'ENOENT' }),
  exit({ pid: 77, start: ms(3), code: 1 }),
  exit({ code: 1 }),
  end({ syscalls: { openat: 3 } }),
];
const FACTS = facts({ command: ['sh', '-c', 'cat x'], exit: { code: 1, signal: null } });
const good = (): Buffer => recordingBytes({ wires: WIRES, facts: FACTS });
const HELPER_OFFSET = frameBoundaries(good())[1]!;

t.test('a good recording: its parts, and the receipt the live run built', async (t) => {
  const parts = readRecording(good());
  t.equal(parts.damage, null);
  t.same(parts.start, startOf(FACTS));
  t.same(parts.run?.facts, FACTS);
  t.equal(parts.helperOffset, HELPER_OFFSET);
  t.same(parts.helper, encodeFrames(WIRES), 'the helper section, byte for byte');
  const { receipt, problem } = rebuild(parts);
  t.equal(problem, null);
  t.same(receipt, receiptOf(WIRES, FACTS));
  t.equal(receipt.collector.status, 'ok');
});

t.test('helper.used false: the live run used no frames, neither does the replay', async (t) => {
  const f = facts({ collector: { status: 'unavailable', reason: 'the helper spoke garbage' } });
  const { receipt, problem } = rebuild(readRecording(recordingBytes({ wires: WIRES, facts: f, used: false })));
  t.equal(problem, null);
  t.equal(receipt.collector.events, 0);
  t.same(receipt, aggregate([], f, []));
});

t.test('not a recording: empty, other bytes, a prefix of something else', async (t) => {
  t.throws(() => readRecording(Buffer.alloc(0)), NotARecordingError);
  t.throws(() => readRecording(Buffer.from('{"schema_version":"0.3"}')), NotARecordingError);
  t.throws(() => readRecording(Buffer.from('GHRX')), NotARecordingError);
  t.throws(() => readRecording(encodeFrames(WIRES)), NotARecordingError, 'a bare helper stream');
});

t.test('a prefix of the header is a truncated recording', async (t) => {
  for (const n of [1, 5, 6, 7]) {
    const e = catchError(() => readRecording(good().subarray(0, n)));
    t.type(e, n < 6 ? TruncatedRecordingError : TruncatedRecordingError, `${n} bytes`);
    t.match(e.message, `truncated at byte ${n}`);
  }
});

t.test('helper protocols 1 to 5 are read; a newer one says so', async (t) => {
  for (const helper_protocol of [1, 2, 3, 4, 5]) {
    const parts = readRecording(recordingBytes({ facts: FACTS, recordingFrame: { t: 'recording', helper_protocol, start: startOf(FACTS) } }));
    t.equal(parts.damage, null, `protocol ${helper_protocol}`);
  }
  const newer = catchError(() => readRecording(recordingBytes({ facts: FACTS, recordingFrame: { t: 'recording', helper_protocol: 6, start: startOf(FACTS) } })));
  t.type(newer, UnsupportedProtocolError);
  t.equal(newer.message, 'a recording of helper protocol 6, but this glasshouse reads protocols 1 to 5 (a newer glasshouse made it)');
  t.equal((newer as UnsupportedProtocolError).offset, 8, 'the recording frame, after the header');
  t.type(catchError(() => readRecording(recordingBytes({ facts: FACTS, recordingFrame: { t: 'recording', helper_protocol: 0, start: startOf(FACTS) } }))), UnsupportedProtocolError);
});

t.test('another format version says so', async (t) => {
  const newer = catchError(() => readRecording(recordingBytes({ format: 2 })));
  t.type(newer, UnsupportedFormatError);
  t.match(newer.message, 'format 2, but this glasshouse reads format 1 (a newer glasshouse made it)');
  t.match(catchError(() => readRecording(recordingBytes({ format: 0 }))).message, 'format 0');
});

t.test('truncated: the footer, then the run frame, then the helper stream cut short', async (t) => {
  const bytes = good();
  const [, , ...rest] = frameBoundaries(bytes);
  const runAt = rest[rest.length - 2]!;
  const footerAt = rest[rest.length - 1]!;

  const noFooter = readRecording(bytes.subarray(0, footerAt + 20));
  t.type(noFooter.damage, TruncatedRecordingError);
  t.match(noFooter.damage!.message, `truncated at byte ${footerAt + 20}: complete frames end at byte ${footerAt}; the footer`);
  t.same(noFooter.run?.facts, FACTS, 'the run frame made it: its facts are used');
  t.equal(noFooter.helper.length, runAt - HELPER_OFFSET);

  const midRun = readRecording(bytes.subarray(0, runAt + 10));
  t.equal(midRun.run, null);
  t.match(midRun.damage!.message, `truncated at byte ${runAt + 10}: complete frames end at byte ${runAt}; the run facts and the footer are missing`);

  const midHelper = rest[3]! + 7; // inside the 6th helper frame
  const parts = readRecording(bytes.subarray(0, midHelper));
  t.equal((parts.damage as TruncatedRecordingError).readableTo, rest[3]);
  const { receipt, problem } = rebuild(parts);
  t.type(problem, TruncatedRecordingError);
  t.equal(receipt.collector.status, 'degraded');
  t.match(receipt.collector.reason, `replayed from a truncated recording: truncated at byte ${midHelper}`);
  t.match(receipt.collector.reason, 'exit status, output hashes and end time unknown');
  t.equal(receipt.process_tree?.pid, ROOT, 'the root from the following frame');
  t.same(receipt.processes.map((p) => p.pid), [77, ROOT]);
  t.same(receipt.filesystem.failed, [], 'the open frame after the cut is not there');
  t.same(receipt.command, FACTS.command, 'the command from the start frame');
  t.equal(receipt.exit_code, 1, 'unknown status: 1');
});

t.test('a bad recording frame: nothing to build on, even partially', async (t) => {
  const missing = catchError(() => readRecording(recordingBytes({ recordingFrame: { t: 'recording', helper_protocol: 1, start: { ...startOf(FACTS), command: 'sh' } } })));
  t.type(missing, InvalidRecordingFrameError);
  t.equal(missing.message, 'frame at byte 8: invalid recording frame: Invalid input: expected array, received string (field start.command)');
  const bytes = good();
  bytes.writeUInt32BE(0xffffffff, 8);
  const huge = catchError(() => readRecording(bytes));
  t.type(huge, DamagedRecordingError);
  t.match(huge.message, 'the recording frame at byte 8 has an impossible length (4294967295)');
  const cut = catchError(() => readRecording(good().subarray(0, 30)));
  t.type(cut, TruncatedRecordingError);
  t.match(cut.message, 'truncated at byte 30: complete frames end at byte 8; the recording frame at byte 8 needs');
});

t.test('an invalid helper frame with a good checksum: named by file offset and field; --partial gives the live receipt', async (t) => {
  const wires = [...WIRES.slice(0, 4), { ...(WIRES[4] as Wire), pid: 'x' }, ...WIRES.slice(5)];
  const parts = readRecording(recordingBytes({ wires, facts: FACTS }));
  t.equal(parts.damage, null, 'the file is as written');
  const { receipt, problem } = rebuild(parts);
  t.type(problem, InvalidRecordingFrameError);
  const at = HELPER_OFFSET + encodeFrames(WIRES.slice(0, 4)).length;
  t.match(problem!.message, new RegExp(`^frame at byte ${at}: invalid frame: .* \\(field pid\\)$`));
  const live = decodeFrameStream(encodeFrames(wires));
  t.same(receipt, aggregate(live.frames, FACTS, live.errors.map((e) => e.message)), 'what the live run built');
  t.equal(receipt.collector.status, 'degraded');
});

t.test('the helper died mid-frame: the live run saw a cut frame, so does the replay', async (t) => {
  const helper = Buffer.concat([encodeFrames(WIRES.slice(0, 5)), encodeFrame(WIRES[5]!).subarray(0, 9)]);
  const parts = readRecording(recordingBytes({ helper, facts: FACTS }));
  t.equal(parts.damage, null, 'the footer delimits the helper section');
  const { receipt, problem } = rebuild(parts);
  t.match(problem!.message, 'truncated frame at end of stream');
  const live = decodeFrameStream(helper);
  t.same(receipt, aggregate(live.frames, FACTS, live.errors.map((e) => e.message)));
});

t.test('an invalid run frame with a good checksum names the field', async (t) => {
  const runFrame = { t: 'run', facts: { ...FACTS, exit: { code: 'one', signal: null } }, helper: { bytes: encodeFrames(WIRES).length, used: true } };
  const parts = readRecording(recordingBytes({ wires: WIRES, facts: FACTS, runFrame }));
  const runAt = HELPER_OFFSET + encodeFrames(WIRES).length;
  t.type(parts.damage, InvalidRecordingFrameError);
  t.match(parts.damage!.message, `frame at byte ${runAt}: invalid run frame: `);
  t.match(parts.damage!.message, '(field facts.exit.code)');
  const { receipt } = rebuild(parts);
  t.equal(receipt.collector.status, 'degraded', 'partial: from the start facts');
  t.match(receipt.collector.reason, 'replayed from a damaged recording');
});

t.test('the run frame counts other helper bytes than the file holds', async (t) => {
  const runFrame = { t: 'run', facts: FACTS, helper: { bytes: 3, used: true } };
  const parts = readRecording(recordingBytes({ wires: WIRES, facts: FACTS, runFrame }));
  t.type(parts.damage, DamagedRecordingError);
  t.match(parts.damage!.message, `the run frame counts 3 helper bytes, the file holds ${encodeFrames(WIRES).length}`);
});

t.test('changed bytes: the checksum catches them, the first bad frame is named', async (t) => {
  const bytes = good();
  const bounds = frameBoundaries(bytes);
  const flipped = Buffer.from(bytes);
  flipped[bounds[4]! + 4 + 2]! ^= 0x01; // inside the body of a helper frame
  const parts = readRecording(flipped);
  t.type(parts.damage, DamagedRecordingError);
  t.match(parts.damage!.message, 'damaged: its checksum does not match');
  const pointer = Buffer.from(bytes);
  pointer[bytes.length - 48 + 7]! ^= 0x40;
  t.match(readRecording(pointer).damage!.message, /damaged: /);
  const digest = Buffer.from(bytes);
  digest[bytes.length - 20]! ^= 0x01;
  t.match(readRecording(digest).damage!.message, 'damaged: its checksum does not match: bytes were changed after it was written');
  const marker = Buffer.from(bytes);
  marker[bytes.length - 1]! ^= 0x01;
  t.type(readRecording(marker).damage, TruncatedRecordingError, 'no end marker reads as truncated');
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
