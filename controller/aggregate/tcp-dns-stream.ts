// DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): one direction of one socket is a stream of
// messages, each after its length in 2 bytes. The helper sends the stream as pieces, one per
// call, each with the first bytes of what the call moved (at most 512: `size` says how many it
// moved). This joins the pieces of one socket and direction, in order, into messages. Bytes not
// copied make the message they fall in cut: it is read as far as its bytes go (up to the first
// byte missing). The lengths say where the next message starts; when the bytes of a length are
// themselves missing, the stream is taken up again at the start of the next call (clients
// write a message, or its length and then the message, with each call).
import type { DnsFrame } from '../schema/frames.js';

/** Where a message goes: the frame it started in, its bytes up to the first one missing, whether any was. */
export type MessageSink = (origin: DnsFrame, bytes: Uint8Array, cut: boolean) => void;

export class TcpDnsStream {
  /** reading a length (the bytes of it so far), or a message, or lost until the next call */
  private state: 'length' | 'message' | 'lost' = 'length';
  private lengthHigh = -1;
  private origin: DnsFrame | null = null;
  private body = new Uint8Array(0);
  /** bytes of the message gone by, copied or not */
  private have = 0;
  /** bytes copied before the first one missing */
  private known = 0;
  private cut = false;

  /** The next call's piece of the stream. */
  push(f: DnsFrame, emit: MessageSink): void {
    if (this.state === 'lost') this.state = 'length';
    const data = f.data.length > f.size ? f.data.subarray(0, f.size) : f.data;
    let i = 0;
    while (i < data.length) {
      if (this.state === 'length') {
        if (this.lengthHigh < 0) {
          this.lengthHigh = data[i++]!;
          continue;
        }
        this.begin(f, (this.lengthHigh << 8) | data[i++]!, emit);
        continue;
      }
      const take = Math.min(this.body.length - this.have, data.length - i);
      if (!this.cut) {
        this.body.set(data.subarray(i, i + take), this.have);
        this.known += take;
      }
      this.have += take;
      i += take;
      if (this.have === this.body.length) this.done(emit);
    }
    // what the call moved and the helper did not copy
    let missing = f.size - data.length;
    while (missing > 0) {
      if (this.state !== 'message') {
        this.state = 'lost';
        this.lengthHigh = -1;
        return;
      }
      const take = Math.min(this.body.length - this.have, missing);
      this.cut = true;
      this.have += take;
      missing -= take;
      if (this.have === this.body.length) this.done(emit);
    }
  }

  /** End of the stream: a message begun and not finished is cut. */
  end(emit: MessageSink): void {
    if (this.state === 'message') {
      this.cut = true;
      this.done(emit);
    }
  }

  private begin(f: DnsFrame, length: number, emit: MessageSink): void {
    this.lengthHigh = -1;
    this.origin = f;
    this.body = new Uint8Array(length);
    this.have = 0;
    this.known = 0;
    this.cut = false;
    this.state = 'message';
    if (length === 0) this.done(emit); // nothing to read: skipped as no message
  }

  private done(emit: MessageSink): void {
    this.state = 'length';
    const body = this.body;
    this.body = new Uint8Array(0);
    emit(this.origin!, body.subarray(0, this.known), this.cut);
  }
}
