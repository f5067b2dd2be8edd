import { describe, expect, it } from 'vitest';
import { buildMimeMessage, encodeHeaderValue } from './sender';

const HEADERS = ['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding'];

function build(overrides: Partial<Parameters<typeof buildMimeMessage>[0]> = {}) {
  return buildMimeMessage({
    id: 'eml_1',
    from: 'no-reply@saas-slice.example',
    to: 'ada@example.test',
    subject: 'You are invited to Acme',
    text: 'Hello',
    date: new Date('2026-11-27T10:00:00Z'),
    ...overrides,
  });
}

/** The header block as a mail parser reads it: unfolded, one entry per header. */
function headersOf(raw: string): { name: string; value: string }[] {
  const block = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return block
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')
    .map((line) => ({ name: line.slice(0, line.indexOf(':')), value: line.slice(line.indexOf(':') + 1).trim() }));
}

function decodeEncodedWords(value: string): string {
  return value
    .split(' ')
    .map((word) => {
      const b64 = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(word)?.[1];
      if (!b64) throw new Error(`not an encoded word: ${word}`);
      return new TextDecoder().decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
    })
    .join('');
}

describe('buildMimeMessage', () => {
  it('writes the plain-text message with its headers, CRLF line endings throughout', () => {
    const raw = build({ text: 'line one\nline two' });
    expect(headersOf(raw)).toEqual([
      { name: 'From', value: 'no-reply@saas-slice.example' },
      { name: 'To', value: 'ada@example.test' },
      { name: 'Subject', value: 'You are invited to Acme' },
      { name: 'Message-ID', value: '<eml_1@saas-slice.example>' },
      { name: 'Date', value: 'Fri, 27 Nov 2026 10:00:00 GMT' },
      { name: 'MIME-Version', value: '1.0' },
      { name: 'Content-Type', value: 'text/plain; charset=utf-8' },
      { name: 'Content-Transfer-Encoding', value: '8bit' },
    ]);
    expect(raw.endsWith('\r\n\r\nline one\r\nline two')).toBe(true);
  });

  it.each([
    ['CRLF', 'You are invited to Acme\r\nBcc: attacker@evil.test'],
    ['LF', 'You are invited to Acme\nBcc: attacker@evil.test'],
    ['CR', 'You are invited to Acme\rBcc: attacker@evil.test'],
    ['a header-ending blank line', 'Acme\r\n\r\nBcc: attacker@evil.test'],
  ])('a subject with %s adds no header and cannot end the header block', (_, subject) => {
    const raw = build({ subject });
    const headers = headersOf(raw);
    expect(headers.map((h) => h.name)).toEqual(HEADERS);
    expect(headers.find((h) => h.name === 'Subject')?.value).toMatch(/^(You are invited to )?Acme +Bcc: attacker@evil\.test$/);
    expect(raw.split('\r\n\r\n')[1]).toBe('Hello');
  });

  it('nor does an address with CR/LF in it', () => {
    const raw = build({ to: 'ada@example.test\r\nBcc: attacker@evil.test', from: 'no-reply@saas-slice.example\nBcc: x@evil.test' });
    expect(headersOf(raw).map((h) => h.name)).toEqual(HEADERS);
  });

  it('sends non-ASCII subjects as RFC 2047 encoded words, each at most 75 characters', () => {
    const subject = 'Vous êtes invité·e à rejoindre Café Ünïcode — 東京支社 🚀 '.repeat(3).trim();
    const raw = build({ subject });
    const value = headersOf(raw).find((h) => h.name === 'Subject')!.value;
    const words = value.split(' ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
    expect(decodeEncodedWords(value)).toBe(subject);
    expect(raw.split('\r\n\r\n')[0]).toMatch(/^[\x20-\x7e\r\n]*$/);
  });
});

describe('encodeHeaderValue', () => {
  it('leaves printable ASCII as it is and turns other control characters into spaces', () => {
    expect(encodeHeaderValue('Plain subject')).toBe('Plain subject');
    expect(encodeHeaderValue('tab\there\u0000nul\u007fdel')).toBe('tab here nul del');
  });
});
