import t from 'tap';
import { end, exec, exit, fork, hello, ms, net, receiptOf } from '../helpers/events.js';

const run = (...events: ReturnType<typeof net>[]) => receiptOf([hello(), exec(), fork({ pid: 60, start: ms(1) }), ...events, exit(), end()]).network;

t.test('identical connects merge with a count; bytes is 0', async (t) => {
  const n = run(net({ addr: '127.0.0.1', port: 8080 }), net({ addr: '127.0.0.1', port: 8080 }));
  t.same(n, [{ pid: 4242, op: 'connect', family: 'inet', protocol: 'tcp', address: '127.0.0.1', port: 8080, result: 'ok', count: 2, bytes: 0 }]);
});

t.test('different result, port, pid or op stay apart; sorted by pid, op, family, address, port, result', async (t) => {
  const n = run(
    net({ addr: '127.0.0.1', port: 8080, err: 'ECONNREFUSED' }),
    net({ addr: '127.0.0.1', port: 8080 }),
    net({ addr: '127.0.0.1', port: 53, op: 'sendto', proto: 'udp' }),
    net({ addr: '::1', port: 443, family: 'inet6' }),
    net({ addr: '/run/app.sock', family: 'unix' }),
    net({ addr: '10.0.0.1', port: 80, pid: 60, start: ms(1), err: 'EINPROGRESS' }),
  );
  t.same(
    n.map((e) => [e.pid, e.op, e.family, e.address, e.port, e.result]),
    [
      [60, 'connect', 'inet', '10.0.0.1', 80, 'EINPROGRESS'],
      [4242, 'connect', 'inet', '127.0.0.1', 8080, 'ECONNREFUSED'],
      [4242, 'connect', 'inet', '127.0.0.1', 8080, 'ok'],
      [4242, 'connect', 'inet6', '::1', 443, 'ok'],
      [4242, 'connect', 'unix', '/run/app.sock', null, 'ok'],
      [4242, 'sendto', 'inet', '127.0.0.1', 53, 'ok'],
    ],
  );
  t.equal(n.find((e) => e.family === 'unix')!.protocol, 'stream');
  t.ok(n.every((e) => e.count === 1 && e.bytes === 0));
});
