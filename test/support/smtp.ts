import { simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

/** A message as the test SMTP server received it. */
export interface ReceivedMail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  headers: Map<string, unknown>;
}

export interface TestSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Called with each parsed message before the server answers; throw to refuse it. */
  onMessage: ((mail: ReceivedMail) => Promise<void> | void) | null;
  /** Called with each RCPT TO address; return a reply text to refuse it with 550, as a server that knows no such mailbox does. */
  refuseRecipient: ((address: string) => string | null) | null;
  /** Waits until at least n messages arrived (or fails after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const addresses = (v: unknown): string[] => {
  if (!v) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((a: { value?: Array<{ address?: string }> }) => (a.value ?? []).map((x) => x.address ?? ''));
};

/** A real SMTP server on 127.0.0.1 (smtp-server, on `port` or any free one), no TLS or auth, recording what it accepts. */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const state: TestSmtp = {
    url: '',
    port: 0,
    received: [],
    onMessage: null,
    refuseRecipient: null,
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (state.received.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} emails, got ${state.received.length} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return state.received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = state.refuseRecipient?.(address.address) ?? null;
      if (refusal === null) return callback();
      callback(Object.assign(new Error(refusal), { responseCode: 550 }));
    },
    onData(stream: SMTPServerDataStream, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      simpleParser(stream)
        .then(async (parsed) => {
          const mail: ReceivedMail = {
            messageId: parsed.messageId ?? '',
            from: addresses(parsed.from)[0] ?? '',
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers: parsed.headers,
          };
          if (state.onMessage) await state.onMessage(mail);
          state.received.push(mail);
          callback();
        })
        .catch((err: Error & { responseCode?: number }) => {
          err.responseCode ??= 451;
          callback(err);
        });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  state.port = address.port;
  state.url = `smtp://127.0.0.1:${address.port}`;
  return state;
}
