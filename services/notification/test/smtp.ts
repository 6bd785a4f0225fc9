import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** An email as the test SMTP server received it, decoded enough to read. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  headers: Map<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
}

/** A real SMTP server on a free local port that keeps what arrives, and can be told to fail. */
export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedEmail[];
  /** DATA commands answered so far, accepted or not. */
  readonly attempts: number;
  /** The next `count` messages are refused with a temporary error (451). */
  failNext(count: number): void;
  /** Mail to `address` is refused for good (550, no such mailbox). */
  refuseRecipient(address: string): void;
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  let attempts = 0;
  let failures = 0;
  const refused = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refused.has(address.address)) {
        callback(Object.assign(new Error('No such mailbox here'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        attempts += 1;
        if (failures > 0) {
          failures -= 1;
          callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
          return;
        }
        const email = parseEmail(Buffer.concat(chunks).toString('utf8'));
        received.push({
          ...email,
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((address) => address.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    get attempts() {
      return attempts;
    },
    failNext(count) {
      failures = count;
    },
    refuseRecipient(address) {
      refused.add(address);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Splits a MIME entity into its (unfolded, lower-cased) headers and its body. */
function splitEntity(raw: string): Part {
  const normalised = raw.replace(/\r\n/g, '\n');
  const end = normalised.indexOf('\n\n');
  const head = end === -1 ? normalised : normalised.slice(0, end);
  const body = end === -1 ? '' : normalised.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') {
    return decodeQuotedPrintable(part.body);
  }
  if (encoding === 'base64') {
    return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return part.body;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

/** Reads what the tests check from a raw message: headers, and the text and HTML parts. */
export function parseEmail(raw: string): Omit<ReceivedEmail, 'from' | 'to'> {
  const message = splitEntity(raw);
  const type = message.headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts =
    boundary === undefined
      ? [message]
      : message.body
          .split(`--${boundary}`)
          .slice(1)
          .filter((chunk) => !chunk.startsWith('--'))
          .map((chunk) => splitEntity(chunk.replace(/^\n/, '')));
  const partOf = (mime: string): string => {
    const part = parts.find((candidate) => (candidate.headers.get('content-type') ?? '').startsWith(mime));
    return part === undefined ? '' : decodeBody(part).trim();
  };
  return {
    headers: message.headers,
    subject: decodeHeader(message.headers.get('subject') ?? ''),
    messageId: message.headers.get('message-id') ?? '',
    text: partOf('text/plain'),
    html: partOf('text/html'),
  };
}
