// Node starts its inspector (a debugger anyone who connects may drive: run code in gh-run, and
// so rewrite the receipt) when it receives SIGUSR1, and Node 20 has no flag to stop that. The
// traced command runs as the same user and may send it. So gh-run holds the inspector's port
// itself: a listener on 127.0.0.1, port chosen by the kernel, made the debug port; the inspector
// then fails to bind ("address already in use") and never starts. The signal itself is reported
// by the kernel side as tampering.
import { createServer } from 'node:net';

/** Take the inspector's port away for the life of this process. */
export function guardInspector(): void {
  const server = createServer((socket) => socket.destroy());
  server.on('error', () => undefined); // nothing to guard with: the kernel side still reports the signal
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') process.debugPort = address.port;
  });
  server.unref();
}
