import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { EmailOptions } from '../notification.options.js';
import type { RenderedEmail } from './email-templates.js';

/** One email to send. */
export interface OutgoingEmail extends RenderedEmail {
  to: string;
  /** The Message-ID, stable across attempts of the same deliveries. */
  messageId: string;
}

/**
 * Sends email over SMTP with nodemailer: one transport built from the SMTP_* settings,
 * bounded by the SMTP timeout at every step. `send` resolves when the server accepted the
 * message and rejects with the server's (or the network's) reason otherwise.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private transport: Transporter | undefined;

  async send(settings: EmailOptions, email: OutgoingEmail): Promise<void> {
    this.transport ??= createTransport({
      host: settings.smtp.host,
      port: settings.smtp.port,
      secure: settings.smtp.secure,
      ...(settings.smtp.user === undefined
        ? {}
        : { auth: { user: settings.smtp.user, pass: settings.smtp.password ?? '' } }),
      connectionTimeout: settings.smtp.timeoutMs,
      greetingTimeout: settings.smtp.timeoutMs,
      socketTimeout: settings.smtp.timeoutMs,
    });
    await this.transport.sendMail({
      from: settings.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
    });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
