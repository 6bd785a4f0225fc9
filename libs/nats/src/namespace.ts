import { ParleyError } from '@parley/contracts';

// Dot-separated tokens of letters, digits, '-' and '_': safe inside a subject and, with '.' and '-'
// turned into '_', inside a stream, consumer or bucket name.
const namespacePattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The prefix of every subject and stream name one process uses (`NATS_NAMESPACE`). Empty in
 * production; tests give each worker its own so that parallel runs never meet.
 */
export class Namespace {
  static readonly root = new Namespace('');

  readonly prefix: string;
  private readonly streamPrefix: string;

  constructor(prefix = '') {
    if (prefix !== '' && !namespacePattern.test(prefix)) {
      throw new ParleyError('validation_failed', `Invalid NATS namespace "${prefix}"`, {
        expected: 'dot-separated tokens of letters, digits, "-" and "_"',
      });
    }
    this.prefix = prefix;
    this.streamPrefix = prefix.replace(/[.-]/g, '_');
  }

  get isRoot(): boolean {
    return this.prefix === '';
  }

  /** The wire subject of a canonical subject (or subject filter). */
  subject(subject: string): string {
    return this.isRoot ? subject : `${this.prefix}.${subject}`;
  }

  /** The JetStream name (stream, consumer, KV bucket) of a canonical name. */
  stream(name: string): string {
    return this.isRoot ? name : `${this.streamPrefix}_${name}`;
  }

  /**
   * True when a JetStream stream belongs to this namespace: one of its streams, or the stream under
   * one of its key-value buckets (`KV_`) or object stores (`OBJ_`). Stream names cannot tell '.',
   * '-' and '_' apart, so the streams of a namespace nested in this one count as its own. The root
   * namespace owns none by this test: its streams are everyone's.
   */
  ownsStream(streamName: string): boolean {
    if (this.isRoot) {
      return false;
    }
    const own = `${this.streamPrefix}_`;
    return [own, `KV_${own}`, `OBJ_${own}`].some(
      (prefix) => streamName.startsWith(prefix) && streamName.length > prefix.length,
    );
  }

  /** The canonical subject of a wire subject; a subject outside this namespace is a wiring bug. */
  strip(subject: string): string {
    if (!this.contains(subject)) {
      throw new ParleyError('internal', `Subject "${subject}" is outside namespace "${this.prefix}"`);
    }
    return this.isRoot ? subject : subject.slice(this.prefix.length + 1);
  }

  /** True when the wire subject belongs to this namespace. */
  contains(subject: string): boolean {
    return this.isRoot || (subject.startsWith(`${this.prefix}.`) && subject.length > this.prefix.length + 1);
  }
}
