import t from 'tap';
import { FramePipeline, type FrameParser } from '../../controller/collector/frame-pipeline.js';
import { decodeFrameStream } from '../../controller/collector/frame-stream.js';
import { parseFrame, type Frame } from '../../controller/schema/frames.js';
import { encodeFrame, encodeFrames, end, exec, exit, hello, open4 } from '../helpers/events.js';

// frames the guard takes, one only zod takes (no `privileged`: an older helper), one zod refuses
const wires = [
  hello(),
  exec({ privileged: false }),
  open4({ path: '/a' }),
  exec(),
  open4({ path: '/b' }),
  { ...open4({ path: '/c' }), pid: 'nope' },
  open4({ path: '/d' }),
  exit(),
  end(),
];

t.test('zod loaded only when a frame needs it; frames and errors keep stream order meanwhile', async (t) => {
  const bytes = encodeFrames(wires);
  const expected = decodeFrameStream(bytes);
  let loads = 0;
  let release!: () => void;
  const loaded = new Promise<void>((r) => (release = r));
  const load = async (): Promise<FrameParser> => {
    loads++;
    await loaded;
    return parseFrame;
  };
  const frames: Frame[] = [];
  let settledCalls = 0;
  const pipeline = new FramePipeline((f) => frames.push(f), { load }, () => settledCalls++);
  const first = encodeFrame(wires[0]!).length + encodeFrame(wires[1]!).length + encodeFrame(wires[2]!).length;
  pipeline.push(bytes.subarray(0, first));
  t.equal(loads, 0, 'the guard took the first three frames: no zod');
  t.same(frames.map((f) => f.t), ['hello', 'exec', 'open']);
  pipeline.push(bytes.subarray(first, bytes.length - 5));
  t.equal(loads, 1, 'the older exec frame asks for zod');
  t.equal(frames.length, 3, 'it and everything after it wait');
  t.same(pipeline.errors, []);
  pipeline.push(bytes.subarray(bytes.length - 5));
  pipeline.end();
  release();
  await pipeline.settled();
  t.equal(loads, 1);
  t.equal(settledCalls, 1);
  t.same(frames, expected.frames, 'the same frames, in order, as with zod at hand');
  t.same(
    pipeline.errors.map((e) => e.message),
    expected.errors.map((e) => e.message),
  );
  t.equal(pipeline.errors.length, 1);
});

t.test('a truncated tail while frames wait is reported after them', async (t) => {
  const bytes = Buffer.concat([encodeFrames([hello(), exec()]), encodeFrame(end()).subarray(0, 6)]);
  const expected = decodeFrameStream(bytes);
  const pipeline = new FramePipeline(() => undefined, { load: async () => parseFrame });
  pipeline.push(bytes);
  pipeline.end();
  await pipeline.settled();
  t.same(
    pipeline.errors.map((e) => e.message),
    expected.errors.map((e) => e.message),
  );
  t.match(pipeline.errors[0]!.message, /truncated frame/);
});
