import type { NotificationRow } from '../notifications/notification.row.js';

/** An email ready for the transport. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailReader {
  fullName: string;
}

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe inside HTML: every character HTML treats specially is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character] as string);
}

/** A header (the subject) never carries a line break: that would start another header. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

const paragraph = (text: string): string => escapeHtml(text).replace(/\n/g, '<br>');

/**
 * The email of one notification, or the digest of several: a plain-text part and an HTML part
 * with the same content, every value from a notification escaped in the HTML.
 */
export function renderEmail(
  reader: EmailReader,
  notifications: readonly NotificationRow[],
  appUrl: string | undefined,
): RenderedEmail {
  const single = notifications.length === 1 ? notifications[0] : undefined;
  const subject = oneLine(single?.title ?? `${notifications.length} new notifications`);
  const greeting = `Hello ${reader.fullName},`;
  const intro =
    single === undefined
      ? `You have ${notifications.length} new notifications:`
      : 'You have a new notification:';
  const link = appUrl === undefined ? [] : [`Open Parley: ${appUrl}`];
  const text = [
    greeting,
    '',
    intro,
    '',
    ...notifications.flatMap((notification) => [
      `* ${notification.title}`,
      `  ${notification.body.replace(/\n/g, '\n  ')}`,
      '',
    ]),
    ...link,
  ].join('\n');
  const items = notifications
    .map(
      (notification) =>
        `<li><strong>${escapeHtml(notification.title)}</strong><br>${paragraph(notification.body)}</li>`,
    )
    .join('');
  const html = [
    '<!DOCTYPE html>',
    `<html><body><p>${escapeHtml(greeting)}</p><p>${escapeHtml(intro)}</p><ul>${items}</ul>`,
    appUrl === undefined ? '' : `<p><a href="${escapeHtml(appUrl)}">Open Parley</a></p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
