import t from 'tap';
import { FramePipeline, decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import type { Frame } from '../../controller/schema/frames.js';
import { encodeFrame, encodeFrames, end, exec, exit, hello, open4 } from '../helpers/events.js';

// current frames, one of an older helper (no `privileged`, which zod defaults), one zod refuses
const wires = [
  hello(),
  exec({ privileged: false }),
  open4({ path: '/a' }),
  exec(),
  { ...open4({ path: '/c' }), pid: 'nope' },
  open4({ path: '/d' }),
  exit(),
  end(),
];

t.test('chunks in any split give the frames and errors of the whole stream, in order, as they arrive', async (t) => {
  const bytes = encodeFrames(wires);
  const whole = decodeFrameStream(bytes);
  t.same(whole.frames.map((f) => f.t), ['hello', 'exec', 'open', 'exec', 'open', 'exit', 'end']);
  t.equal(whole.errors.length, 1);
  t.match(whole.errors[0]!.message, /pid/);
  t.equal((whole.frames[3] as { privileged?: boolean }).privileged, false, 'an older exec frame is normalised by zod');
  for (const size of [1, 7, 100]) {
    const frames: Frame[] = [];
    const pipeline = new FramePipeline((f) => frames.push(f));
    const first = encodeFrame(wires[0]!).length;
    pipeline.push(bytes.subarray(0, first));
    t.same(frames.map((f) => f.t), ['hello'], 'a frame is handed on as soon as its last byte is in');
    for (let at = first; at < bytes.length; at += size) pipeline.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
    pipeline.end();
    t.same(frames, whole.frames, `chunks of ${size} bytes`);
    t.same(pipeline.errors.map((e) => e.message), whole.errors.map((e) => e.message));
  }
});

t.test('a truncated tail is an error at the end; nothing is taken after it', async (t) => {
  const bytes = Buffer.concat([encodeFrames([hello(), exec()]), encodeFrame(end()).subarray(0, 6)]);
  const frames: Frame[] = [];
  const pipeline = new FramePipeline((f) => frames.push(f));
  pipeline.push(bytes);
  t.same(pipeline.errors, [], 'a frame cut short may still be completed');
  pipeline.end();
  t.equal(pipeline.errors.length, 1);
  t.match(pipeline.errors[0]!.message, /truncated frame/);
  pipeline.push(encodeFrame(end()));
  pipeline.end();
  t.equal(frames.length, 2, 'no frame after the end');
  t.equal(pipeline.errors.length, 1, 'the end is counted once');
});
