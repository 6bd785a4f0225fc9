import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';
import { setTransportFactory } from '@nats-io/transport-node';

/**
 * The client's TCP transport, writing what the client sends during one turn of the event loop in
 * one system call.
 *
 * The client writes its outbound buffer after each callback (a microtask), so a service handling
 * many messages at once (replies, acknowledgements, publishes, each from its own socket read)
 * makes one write per message. A write is a system call, and on shared or virtualized machines a
 * costly one. This transport keeps the frames of one turn and writes them together in the turn's
 * check phase (`setImmediate`): after every I/O callback that was ready has run, before the loop
 * waits again. Order is kept; nothing waits for a timer.
 *
 * Closing writes what is kept first, so `close()` straight after a publish still sends it.
 */
export class CoalescingTransport extends NodeTransport {
  private kept: Uint8Array[] = [];
  private keptBytes = 0;
  private writeCount = 0;

  /** Writes made so far: one per turn of the event loop that sent anything. */
  get writes(): number {
    return this.writeCount;
  }

  override send(frame: Uint8Array): void {
    this.kept.push(frame);
    this.keptBytes += frame.length;
    if (this.kept.length === 1) {
      setImmediate(() => this.writeKept());
    }
  }

  override close(err?: Error): Promise<void> {
    this.writeKept();
    return super.close(err);
  }

  override disconnect(): void {
    this.writeKept();
    super.disconnect();
  }

  private writeKept(): void {
    if (this.kept.length === 0) {
      return;
    }
    const frames = this.kept;
    const bytes = this.keptBytes;
    this.kept = [];
    this.keptBytes = 0;
    this.writeCount += 1;
    super.send(frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames, bytes));
  }
}

/** Makes the connections opened from now on use `CoalescingTransport`. */
export function useCoalescingTransport(): void {
  setTransportFactory({ factory: () => new CoalescingTransport(), dnsResolveFn: nodeResolveHost });
}
