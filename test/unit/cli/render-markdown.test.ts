import { escapeMarkdown } from '../../../lib/cli/render-markdown';

describe('escapeMarkdown', () => {
  it.each([
    ['[x](http://evil)', '\\[x\\]\\(http:&#8203;//evil\\)'],
    ['see https://evil.example/x or WWW.evil.com', 'see https:&#8203;//evil.example/x or WWW&#8203;.evil.com'],
    ['fixes #12 and octo/repo#3', 'fixes #&#8203;12 and octo/repo#&#8203;3'],
    ['@team please', '@&#8203;team please'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert\\(1\\)&gt;'],
    ['a | b', 'a \\| b'],
    ['line one\nline two\r\n', 'line one line two  '],
    ['*bold* _it_ `code` ~~s~~ # h !', '\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ #&#8203; h \\!'],
    ['&lt; already an entity', '&amp;lt; already an entity'],
    ['back\\slash', 'back\\\\slash'],
  ])('%j -> %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });
});
