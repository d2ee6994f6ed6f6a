import * as z from 'zod';

import { describeIssue, formatIssues, formatPath, shortJson, valueAt } from '../../lib/zod-issues';

function issuesOf(schema: z.ZodType, input: unknown): z.core.$ZodIssue[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be refused');
  return result.error.issues;
}

describe('zod issues as people read them', () => {
  it('writes paths with indexes in brackets and quotes keys that are not plain names', () => {
    expect(formatPath(['services', 2, 'allow', 0, 'domain'])).toBe('services[2].allow[0].domain');
    expect(formatPath(['groups', 'team a', 0])).toBe('groups["team a"][0]');
    expect(formatPath([])).toBe('');
  });

  it('finds own values only', () => {
    expect(valueAt({ a: [{ b: 1 }] }, ['a', 0, 'b'])).toBe(1);
    expect(valueAt({ a: 1 }, ['a', 'b'])).toBeUndefined();
    expect(valueAt({}, ['toString'])).toBeUndefined();
  });

  it('shortens JSON after scrubbing it, and keeps non-finite numbers readable', () => {
    expect(shortJson('x'.repeat(100), { max: 10 })).toBe('"xxxxxx...');
    expect(shortJson(Infinity)).toBe('Infinity');
    expect(shortJson('secret-value', { scrub: (t) => t.replace('secret-value', '[redacted]') })).toBe('"[redacted]"');
  });

  it('names the path and the message, and given the input, what was found', () => {
    const schema = z.object({ id: z.string(), list: z.array(z.number()) });
    const [idIssue, listIssue] = issuesOf(schema, { list: [1, 'two'] });
    expect(describeIssue(idIssue!, { root: 'body' })).toMatch(/^id: /);
    expect(describeIssue(idIssue!, { input: { list: [1, 'two'] } })).toBe('id: expected string; missing');
    expect(describeIssue(listIssue!, { input: { list: [1, 'two'] }, prefix: ['data'] })).toBe(
      'data.list[1]: expected number; got "two"',
    );
    expect(describeIssue(issuesOf(schema, 5)[0]!, { root: '(event)' })).toMatch(/^\(event\): /);
  });

  it('joins the first issues with "; "', () => {
    const schema = z.object({ a: z.string(), b: z.string(), c: z.string() });
    const text = formatIssues(issuesOf(schema, {}), { input: {}, limit: 2 });
    expect(text).toBe('a: expected string; missing; b: expected string; missing');
  });
});
