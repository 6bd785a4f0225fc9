import type { NotificationRow } from '../notifications/notification.row.js';
import { escapeHtml, renderEmail } from './email-templates.js';
import { retryDelayMs } from './email-sender.js';

const row = (title: string, body: string): NotificationRow => ({
  id: 'id',
  tenant_id: 't',
  recipient_id: 'r',
  actor_id: null,
  type: 'assignment_due',
  title,
  body,
  data: {},
  priority: 'normal',
  status: 'new',
  source_id: 's',
  is_listed: true,
  read_at: null,
  dismissed_at: null,
  created_at: new Date(),
});

describe('email templates', () => {
  it('escape everything HTML treats specially', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('render one notification with its title as the subject, on one line', () => {
    const email = renderEmail({ fullName: 'Ann <admin>' }, [row('Essay\r\ndue', 'By Friday')], undefined);
    expect(email.subject).toBe('Essay due');
    expect(email.text).toBe(
      'Hello Ann <admin>,\n\nYou have a new notification:\n\n* Essay\r\ndue\n  By Friday\n',
    );
    expect(email.html).toContain('<p>Hello Ann &lt;admin&gt;,</p>');
    expect(email.html).not.toContain('Open Parley');
  });

  it('render several as a digest with a link', () => {
    const email = renderEmail(
      { fullName: 'Ben' },
      [row('One', 'First'), row('Two', 'Second\nline')],
      'https://parley.test/?a=1&b=2',
    );
    expect(email.subject).toBe('2 new notifications');
    expect(email.text).toContain('* Two\n  Second\n  line');
    expect(email.text.endsWith('Open Parley: https://parley.test/?a=1&b=2')).toBe(true);
    expect(email.html).toContain('<a href="https://parley.test/?a=1&amp;b=2">Open Parley</a>');
    expect(email.html).toContain('Second<br>line');
  });
});

describe('retries', () => {
  it('wait twice as long after each failure, up to the maximum', () => {
    const email = { retryInitialMs: 1000, retryMaxMs: 5000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(email, attempt))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });
});
